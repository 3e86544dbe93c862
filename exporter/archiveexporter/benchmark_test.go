// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// BenchmarkPush archives batches of 10,000 page views of one site to a
// directory: events/s through encoding and an fsynced rename, and the
// bytes each event takes on disk.
func BenchmarkPush(b *testing.B) {
	const batch = 10_000
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := range batch {
		lr := records.AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Millisecond)))
		a := lr.Attributes()
		// Ids as random as real UUIDs: they are most of an event's bytes.
		a.PutStr(schema.AttrEventID, randomID(fmt.Sprint("event", i)))
		a.PutStr(schema.AttrSessionID, randomID(fmt.Sprint("session", i/5)))
		a.PutStr(schema.AttrURLPath, fmt.Sprintf("/product/%d", i%500))
		a.PutStr(schema.AttrReferrerClass, "search")
		a.PutStr(schema.AttrReferrerSource, "Google")
		a.PutStr(schema.AttrGeoCountry, "DE")
		a.PutStr(schema.AttrDeviceType, "desktop")
		a.PutStr(schema.AttrUserAgentName, "Firefox")
	}
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, "9f86d081884c7d65")
	e, dir := startDirExporter(b, nil)
	b.ResetTimer()
	for b.Loop() {
		require.NoError(b, e.pushLogs(context.Background(), ld))
	}
	b.StopTimer()
	var size int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			size += info.Size()
		}
		return nil
	})
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "events/s")
	// Each round rewrites the same files (same ids): size is one batch's.
	b.ReportMetric(float64(size)/batch, "bytes/event")
}

func randomID(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:16])
}
