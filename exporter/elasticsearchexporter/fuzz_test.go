// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// FuzzEncodeDocument: for any record (the attributes come from browsers),
// the streaming encoder writes what the reference mapping writes, byte for
// byte, or skips it for the same reason.
func FuzzEncodeDocument(f *testing.F) {
	f.Add("page_view", "e1", schema.AttrURLPath, "/p<1>", "plan", "pro", int64(3), 4.5, true)
	f.Add(schema.EventSessionEnd, "", schema.AttrSessionID, "s\xff1", schema.AttrSessionStartTime, "\u2028", int64(-1), math.NaN(), false)
	f.Add("", "e\"2", schema.AttrEventNameLegacy, "click", schema.AttrGoalValue, "x", int64(0), 1e-7, true)
	f.Fuzz(func(t *testing.T, name, id, k1, v1, k2, v2 string, n int64, d float64, b bool) {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(name)
		lr.SetTimestamp(pcommon.Timestamp(uint64(n) & (1<<62 - 1)))
		a := lr.Attributes()
		a.PutStr(schema.AttrEventID, id)
		a.PutStr(schema.AttrSessionID, id)
		a.PutStr(k1, v1)
		a.PutStr(k2, v2)
		a.PutInt(k2+"n", n)
		a.PutDouble(k1+"d", d)
		a.PutBool(v1, b)
		a.PutInt(schema.AttrSessionStartTime, n)
		a.PutEmptyMap(schema.AttrSessionRevenue).PutDouble(v2, d)
		assertMatchesReference(t, rl.Resource().Attributes(), lr)
	})
}
