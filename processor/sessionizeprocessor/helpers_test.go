// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// t0 is a Friday morning, far from midnight in Europe.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

var storageID = component.MustNewID("file_storage")

type harness struct {
	t         *testing.T
	p         *sessionizeProcessor
	sink      *consumertest.LogsSink
	clock     *ownerClock
	telemetry *componenttest.Telemetry
	// log, when the storage is one, is where batches are handed on from
	// (source_test.go).
	log *recordLog
}

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Goals = []string{"signup"}
	// The tests' event streams reorder events by up to 10 s of receive time.
	cfg.AllowedLateness = 10 * time.Second
	return cfg
}

// start runs a processor on cfg, with the given storage extension when
// cfg.Storage is set and next as its consumer (a sink when nil).
func start(t *testing.T, cfg *Config, ext component.Component, next consumer.Logs, before ...func(*sessionizeProcessor)) *harness {
	t.Helper()
	tel := newTelemetry(t)
	h := &harness{t: t, clock: newOwnerClock(t0), telemetry: tel, sink: &consumertest.LogsSink{}}
	if next == nil {
		next = h.sink
	}
	p, err := newProcessor(cfg, metadatatest.NewSettings(tel), next, h.clock)
	require.NoError(t, err)
	p.sleep = func(ctx context.Context, _ time.Duration) bool { return ctx.Err() == nil }
	for _, f := range before {
		f(p)
	}
	host := storagetest.Host{Extensions: map[component.ID]component.Component{}}
	if ext != nil {
		host.Extensions[storageID] = ext
	}
	h.log, _ = ext.(*recordLog)
	require.NoError(t, p.Start(context.Background(), host))
	h.p = p
	return h
}

func newTelemetry(t *testing.T) *componenttest.Telemetry {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	return tel
}

// consume hands ld on, with where it can be read again when the storage
// is a recordLog.
func (h *harness) consume(ld plog.Logs) error {
	ctx := context.Background()
	if h.log != nil {
		ctx = sourcelog.WithRef(ctx, h.log.add(ld))
	}
	return h.p.ConsumeLogs(ctx, ld)
}

func (h *harness) mustConsume(ld plog.Logs) {
	h.t.Helper()
	require.NoError(h.t, h.consume(ld))
}

// tick moves the wall clock on to now and waits until the owner has acted
// on the tick its timer fires there, as it does every tickInterval. A
// checkpoint the tick finds due is only begun (checkpointAt waits for it).
func (h *harness) tick(now time.Time) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(h.t, h.clock.BlockUntilContext(ctx, 1), "the owner waits on its tick timer")
	due := h.clock.dueAt()
	require.False(h.t, now.Before(due), "a tick at %v comes before the owner's timer is due (%v)", now, due)
	h.clock.set(now)
	require.NoError(h.t, h.clock.BlockUntilContext(ctx, 1), "the owner handled the tick and waits for the next")
}

// checkpointAt ticks at now, which must find a checkpoint due, and waits
// until that checkpoint has been written or has failed.
func (h *harness) checkpointAt(now time.Time) {
	h.t.Helper()
	before := checkpointsTaken(h)
	h.tick(now)
	require.Eventually(h.t, func() bool { return checkpointsTaken(h) > before }, 10*time.Second, time.Millisecond, "a checkpoint was due at %v", now)
}

// checkpointsTaken counts the checkpoints written or failed so far.
func checkpointsTaken(h *harness) uint64 {
	m, err := h.telemetry.GetMetric("otelcol_processor_sessionize_checkpoint_duration")
	if err != nil {
		return 0
	}
	var n uint64
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		n += dp.Count
	}
	return n
}

func (h *harness) shutdown() {
	h.t.Helper()
	require.NoError(h.t, h.p.Shutdown(context.Background()))
}

// output joins everything delivered so far into one Logs, in order.
func (h *harness) output() plog.Logs {
	return joinLogs(h.sink.AllLogs())
}

func joinLogs(all []plog.Logs) plog.Logs {
	out := plog.NewLogs()
	for _, ld := range all {
		for i := range ld.ResourceLogs().Len() {
			ld.ResourceLogs().At(i).CopyTo(out.ResourceLogs().AppendEmpty())
		}
	}
	return out
}

// event describes one browser event as the receiver forwards it.
type event struct {
	site    string // "shop" when empty
	visitor string
	id      string
	name    string
	at      time.Duration // client time, from t0
	// received is the receive time from t0; the client time when unset.
	received *time.Duration
	path     string
	attrs    map[string]string
}

func pv(visitor, id string, at time.Duration, path string) event {
	return event{visitor: visitor, id: id, name: schema.EventPageView, at: at, path: path}
}

func click(visitor, id string, at time.Duration) event {
	return event{visitor: visitor, id: id, name: schema.EventClick, at: at}
}

func (e event) with(key, value string) event {
	attrs := map[string]string{}
	for k, v := range e.attrs {
		attrs[k] = v
	}
	attrs[key] = value
	e.attrs = attrs
	return e
}

// on moves the event to another site.
func (e event) on(site string) event {
	e.site = site
	return e
}

func (e event) receivedAt(d time.Duration) event {
	e.received = &d
	return e
}

// logsOf builds the receiver's shape: one resource per run of one visitor's events.
func logsOf(events ...event) plog.Logs {
	ld := plog.NewLogs()
	var records plog.LogRecordSlice
	last := [2]string{}
	for _, e := range events {
		if e.site == "" {
			e.site = "shop"
		}
		if records == (plog.LogRecordSlice{}) || [2]string{e.site, e.visitor} != last {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr(schema.AttrSiteID, e.site)
			rl.Resource().Attributes().PutStr(schema.AttrVisitorID, e.visitor)
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName("footfall.js")
			records, last = sl.LogRecords(), [2]string{e.site, e.visitor}
		}
		lr := records.AppendEmpty()
		lr.SetEventName(e.name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(e.at)))
		received := e.at
		if e.received != nil {
			received = *e.received
		}
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(t0.Add(received)))
		lr.Attributes().PutStr(schema.AttrEventID, e.id)
		if e.path != "" {
			lr.Attributes().PutStr(schema.AttrURLPath, e.path)
		}
		for _, k := range slices.Sorted(maps.Keys(e.attrs)) {
			lr.Attributes().PutStr(k, e.attrs[k])
		}
	}
	return ld
}

// summary renders the output as one line per record, for assertions that
// read like the session rules. Generated session ids (32 hex characters) are
// named S1, S2, ... in order of appearance; client-chosen ids are kept.
func summary(ld plog.Logs) []string {
	labels := map[string]string{}
	label := func(id string) string {
		if len(id) != 32 {
			return id
		}
		if _, ok := labels[id]; !ok {
			labels[id] = fmt.Sprintf("S%d", len(labels)+1)
		}
		return labels[id]
	}
	var lines []string
	for i := range ld.ResourceLogs().Len() {
		rl := ld.ResourceLogs().At(i)
		visitor := attr.Str(rl.Resource().Attributes(), schema.AttrVisitorID)
		for j := range rl.ScopeLogs().Len() {
			records := rl.ScopeLogs().At(j).LogRecords()
			for k := range records.Len() {
				lines = append(lines, describeRecord(visitor, records.At(k), label))
			}
		}
	}
	return lines
}

func describeRecord(visitor string, lr plog.LogRecord, label func(string) string) string {
	a := lr.Attributes()
	sid := label(attr.Str(a, schema.AttrSessionID))
	switch lr.EventName() {
	case schema.EventSessionStart:
		line := fmt.Sprintf("%s start %s prev=%s", visitor, sid, label(attr.Str(a, schema.AttrSessionPrevID)))
		if boolAttr(a, schema.AttrSessionReturning) {
			line += " returning"
		}
		return line
	case schema.EventSessionEnd:
		line := fmt.Sprintf("%s end %s %s pv=%d events=%d bounce=%t entry=%s exit=%s",
			visitor, sid, attr.Str(a, schema.AttrSessionEndReason), intAttr(a, schema.AttrSessionPageViews),
			intAttr(a, schema.AttrSessionEvents), boolAttr(a, schema.AttrSessionBounce),
			attr.Str(a, schema.AttrSessionEntryPage), attr.Str(a, schema.AttrSessionExitPage))
		if goals, ok := a.Get(schema.AttrSessionGoals); ok {
			line += " goals=" + goals.AsString()
		}
		if revenue, ok := a.Get(schema.AttrSessionRevenue); ok {
			line += " revenue=" + revenue.AsString()
		}
		return line
	}
	line := fmt.Sprintf("%s %s %s #%d", visitor, attr.Str(a, schema.AttrEventID), sid, intAttr(a, schema.AttrSessionSeq))
	var flags []string
	if boolAttr(a, schema.AttrEventLate) {
		flags = append(flags, "late")
	}
	if boolAttr(a, schema.AttrEventClockSkewed) {
		flags = append(flags, "skewed")
	}
	if steps, ok := a.Get(schema.AttrSessionFunnelSteps); ok {
		flags = append(flags, "funnels="+steps.AsString())
	}
	if len(flags) > 0 {
		line += " " + strings.Join(flags, ",")
	}
	return line
}

func intAttr(m pcommon.Map, key string) int64 {
	if v, ok := m.Get(key); ok {
		return v.Int()
	}
	return -1
}

func boolAttr(m pcommon.Map, key string) bool {
	v, ok := m.Get(key)
	return ok && v.Bool()
}

// waitDelivered waits until the delivery loop has handed every placed record
// to the next consumer.
func (h *harness) waitDelivered() {
	h.t.Helper()
	require.Eventually(h.t, func() bool { return h.p.outbox.pendingRecords() == 0 }, 10*time.Second, time.Millisecond)
}

// crash stops the processor the way a killed process stops: no final
// checkpoint, storage left as it was.
func (h *harness) crash() {
	h.p.stopOnce.Do(func() { close(h.p.stopping) })
	<-h.p.ownerDone
	h.p.cancel()
	<-h.p.deliverDone
	if w, ok := h.p.wal.(*segmentWAL); ok {
		// A killed process leaves its files as written; the log's own
		// goroutine is stopped after the test.
		h.t.Cleanup(func() { _ = w.close() })
	}
}
