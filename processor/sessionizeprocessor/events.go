// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// Reasons a record cannot be sessionized. It is dropped and counted.
const (
	reasonMissingSite     = "missing_site"
	reasonMissingVisitor  = "missing_visitor"
	reasonMissingEventID  = "missing_event_id"
	reasonMissingTime     = "missing_time"
	reasonSessionizeOuput = "sessionize_output"
	reasonDuplicate       = "duplicate"
	// reasonReservedName: a session.start or session.end that this
	// processor did not make; forwarding it would forge a session.
	reasonReservedName = "reserved_name"
	// reasonTooLarge: a batch larger than one write-ahead entry can be; it
	// is refused with a permanent error (a retry would be as large).
	reasonTooLarge = "too_large"
	// reasonUndecodable: a record held in the reorder buffer as its
	// encoding that could not be decoded again (held.go). Not expected:
	// the encoding was made from the record.
	reasonUndecodable = "undecodable"
)

// maxBatchRecords bounds one batch so that a record's index fits in the low
// bits of a session.Input's Ref.
const maxBatchRecords = 1 << refIndexBits

const refIndexBits = 24

// recordAt locates a record in its batch.
type recordAt struct{ rl, sl, lr int }

// batch is the valid part of one ConsumeLogs call: the records, and what the
// session rules need of each.
type batch struct {
	seq    uint64
	logs   plog.Logs
	inputs []session.Input
	where  []recordAt
	// unplaced counts inputs the tracker still holds; at 0 the batch is
	// dropped from memory and its write-ahead entry may go.
	unplaced int
	// wal is the batch's records as OTLP, or where they can be read again
	// (byRef), until its write-ahead entry is written (only with storage).
	wal   []byte
	byRef bool
	// wire is the batch's records as OTLP, kept past its write-ahead
	// entry; while the tracker holds some of its records, logs is dropped
	// and wire alone kept (encodedOnly; held.go). nil when the records are
	// held by reference.
	wire        []byte
	encodedOnly bool
	// logged is set once the batch has a write-ahead entry: the
	// checkpoint after its last record is placed releases it.
	logged bool
	// accepted marks the inputs that were not duplicates.
	accepted []bool
	// received is the latest receive time of its records (the receiver's
	// clock, which no client sets).
	received time.Time
}

// eventReader turns records into session inputs.
type eventReader struct {
	maxClockSkew  time.Duration
	goals         map[string]bool
	nonEngagement map[string]bool
	funnels       *funnelMatcher
	countInvalid  func(reason string, n int)
	countSkewed   func(n int)
}

// quiet is r without its counters: for records that were counted when
// they came.
func (r *eventReader) quiet() *eventReader {
	q := *r
	q.countInvalid = func(string, int) {}
	q.countSkewed = func(int) {}
	return &q
}

// read splits ld: records that are not browser events (no site or visitor,
// or the processor's own output) move to foreign, to be forwarded unchanged;
// broken browser events are removed and counted by reason; skewed client
// clocks are corrected. What stays in ld is the batch.
func (r *eventReader) read(ld plog.Logs) (b *batch, foreign plog.Logs, invalid map[string]int) {
	invalid = map[string]int{}
	foreign = plog.NewLogs()
	skewed := 0
	ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
		res := rl.Resource().Attributes()
		var foreignRL plog.ResourceLogs
		hasForeignRL := false
		rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
			var foreignSL plog.LogRecordSlice
			hasForeignSL := false
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				reason := classify(res, sl.Scope(), lr)
				switch {
				case reason == "":
					if r.correctClock(lr) {
						skewed++
					}
					return false
				case isForeign(reason):
					if !hasForeignRL {
						foreignRL = foreign.ResourceLogs().AppendEmpty()
						rl.Resource().CopyTo(foreignRL.Resource())
						foreignRL.SetSchemaUrl(rl.SchemaUrl())
						hasForeignRL = true
					}
					if !hasForeignSL {
						fsl := foreignRL.ScopeLogs().AppendEmpty()
						sl.Scope().CopyTo(fsl.Scope())
						fsl.SetSchemaUrl(sl.SchemaUrl())
						foreignSL, hasForeignSL = fsl.LogRecords(), true
					}
					lr.MoveTo(foreignSL.AppendEmpty())
				}
				invalid[reason]++
				return true
			})
			return sl.LogRecords().Len() == 0
		})
		return rl.ScopeLogs().Len() == 0
	})
	for reason, n := range invalid {
		r.countInvalid(reason, n)
	}
	if skewed > 0 {
		r.countSkewed(skewed)
	}
	// Sized once: grown by append, a batch of 20 would allocate room for 63.
	n := ld.LogRecordCount()
	b = &batch{logs: ld, where: make([]recordAt, 0, n), inputs: make([]session.Input, 0, n)}
	for i := range ld.ResourceLogs().Len() {
		rl := ld.ResourceLogs().At(i)
		res := rl.Resource().Attributes()
		for j := range rl.ScopeLogs().Len() {
			records := rl.ScopeLogs().At(j).LogRecords()
			for k := range records.Len() {
				lr := records.At(k)
				if at := lr.ObservedTimestamp().AsTime(); lr.ObservedTimestamp() != 0 && at.After(b.received) {
					b.received = at
				}
				b.where = append(b.where, recordAt{rl: i, sl: j, lr: k})
				b.inputs = append(b.inputs, r.input(res, lr, len(b.inputs)))
			}
		}
	}
	return b, foreign, invalid
}

// isForeign reports whether a record that cannot be sessionized is none of
// this processor's business, rather than a broken browser event.
func isForeign(reason string) bool {
	return reason == reasonMissingSite || reason == reasonMissingVisitor || reason == reasonSessionizeOuput
}

// classify returns why a record cannot be sessionized, or "".
func classify(res pcommon.Map, scope pcommon.InstrumentationScope, lr plog.LogRecord) string {
	switch kind := schema.KindOf(scope, lr); {
	case kind == schema.KindSessionStart || kind == schema.KindSessionEnd:
		return reasonSessionizeOuput
	case kind == schema.KindForgedSession:
		return reasonReservedName
	case attr.Lookup(res, lr.Attributes(), schema.AttrSiteID) == "":
		return reasonMissingSite
	case attr.Lookup(res, lr.Attributes(), schema.AttrVisitorID) == "":
		return reasonMissingVisitor
	case attr.Str(lr.Attributes(), schema.AttrEventID) == "":
		return reasonMissingEventID
	case lr.Timestamp() == 0 && lr.ObservedTimestamp() == 0:
		return reasonMissingTime
	}
	return ""
}

// correctClock replaces a client timestamp that is too far from the receive
// time, keeping the client's in an attribute. It reports whether it did. A
// timestamp within max_clock_skew is kept, even from the future: it moves
// only its own site's watermark.
func (r *eventReader) correctClock(lr plog.LogRecord) bool {
	client, received := lr.Timestamp(), lr.ObservedTimestamp()
	if client == 0 {
		lr.SetTimestamp(received)
		return false
	}
	if received == 0 {
		return false
	}
	skew := time.Duration(int64(client) - int64(received))
	if skew.Abs() <= r.maxClockSkew {
		return false
	}
	lr.SetTimestamp(received)
	lr.Attributes().PutBool(schema.AttrEventClockSkewed, true)
	lr.Attributes().PutInt(schema.AttrEventClientTime, int64(client))
	return true
}

func (r *eventReader) input(res pcommon.Map, lr plog.LogRecord, index int) session.Input {
	attrs := lr.Attributes()
	name := schema.EventName(lr)
	pageView := name == schema.EventPageView
	in := session.Input{
		Key:             session.Key{Site: attr.Lookup(res, lr.Attributes(), schema.AttrSiteID), Visitor: attr.Lookup(res, lr.Attributes(), schema.AttrVisitorID)},
		EventID:         attr.Str(attrs, schema.AttrEventID),
		ClientSessionID: attr.Str(attrs, schema.AttrSessionID),
		Ref:             index,
		Received:        receivedAt(lr),
		Event: session.Event{
			Time:       lr.Timestamp().AsTime(),
			PageView:   pageView,
			Engagement: !pageView && !r.nonEngagement[name] && interactive(attrs),
			Path:       attr.Str(attrs, schema.AttrURLPath),
			Country:    attr.Str(attrs, schema.AttrGeoCountry),
			Device:     attr.Str(attrs, schema.AttrDeviceType),
			Bot:        schema.BotReasonOf(attrs),
		},
	}
	if r.goals[name] {
		in.Event.Goal = name
		in.Event.Revenue = goalValue(attrs)
	}
	in.Event.Funnels = r.funnels.match(in.Key.Site, name, in.Event.Path, attrs)
	if pageView {
		in.Event.Attribution = session.Attribution{
			ReferrerClass:  attr.Str(attrs, schema.AttrReferrerClass),
			ReferrerSource: attr.Str(attrs, schema.AttrReferrerSource),
			UTMSource:      attr.Str(attrs, schema.AttrUTMSource),
			UTMMedium:      attr.Str(attrs, schema.AttrUTMMedium),
			UTMCampaign:    attr.Str(attrs, schema.AttrUTMCampaign),
		}
	}
	return in
}

// interactive is false for an event the client marked as no interaction
// (a boolean false, or the string "false" some SDKs send).
func interactive(attrs pcommon.Map) bool {
	v, ok := attrs.Get(schema.AttrEventInteractive)
	switch {
	case !ok:
		return true
	case v.Type() == pcommon.ValueTypeBool:
		return v.Bool()
	default:
		return v.AsString() != "false"
	}
}

// goalValue is the goal's value when it has a valid amount and currency:
// an invalid one is left to the connector to count as skipped.
func goalValue(attrs pcommon.Map) session.Money {
	value, status := attr.Measure(attrs, schema.AttrGoalValue)
	currency := strings.ToUpper(attr.Str(attrs, schema.AttrGoalCurrency))
	if status != attr.MeasureValid || !schema.IsCurrency(currency) {
		return session.Money{}
	}
	return session.Money{Currency: currency, Value: value}
}

// receivedAt is when the collector received lr: its observed timestamp, or
// its event time when it has none (records from other sources).
func receivedAt(lr plog.LogRecord) time.Time {
	if lr.ObservedTimestamp() != 0 {
		return lr.ObservedTimestamp().AsTime()
	}
	return lr.Timestamp().AsTime()
}
