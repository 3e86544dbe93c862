// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// grouper puts each visitor's events under a resource of their own, so that
// an exporter partitioning by resource attributes (the Kafka exporter) keeps
// one visitor's events in one partition, in order.
type grouper struct {
	out    plog.Logs
	scopes map[groupKey]plog.ScopeLogs
}

type groupKey struct {
	site, visitor string
	resource      pcommon.Resource
	scope         pcommon.InstrumentationScope
}

func newGrouper(out plog.Logs) *grouper {
	return &grouper{out: out, scopes: map[groupKey]plog.ScopeLogs{}}
}

// record appends an empty record in the group of (site, visitor) that keeps
// the original resource and scope.
func (g *grouper) record(site, visitorID, idSource string, resource pcommon.Resource, scope pcommon.InstrumentationScope) plog.LogRecord {
	key := groupKey{site: site, visitor: visitorID, resource: resource, scope: scope}
	sl, ok := g.scopes[key]
	if !ok {
		rl := g.out.ResourceLogs().AppendEmpty()
		resource.CopyTo(rl.Resource())
		attrs := rl.Resource().Attributes()
		attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return schema.IsReceiverOwned(k) })
		attrs.PutStr(schema.AttrSiteID, site)
		attrs.PutStr(schema.AttrVisitorID, visitorID)
		attrs.PutStr(schema.AttrVisitorIDSource, idSource)
		sl = rl.ScopeLogs().AppendEmpty()
		scope.CopyTo(sl.Scope())
		g.scopes[key] = sl
	}
	return sl.LogRecords().AppendEmpty()
}
