// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/sitezone"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// emitted is the output of one step: records in the order the tracker placed
// them, with session.start before a session's first event and session.end
// where the session ended.
type emitted struct {
	logs    plog.Logs
	records int
	late    int
	started int
	// undecodable counts held records whose encoding could not be read
	// back (held.go); they are dropped.
	undecodable int
	ended       map[session.EndReason]int
	// bots counts the events of sessions judged a bot's, by site and reason.
	bots map[botCount]int
}

type botCount struct{ site, reason string }

// runKey says which resource and scope an output record belongs to, so that
// consecutive records from one source share one ResourceLogs.
type runKey struct {
	seq       uint64
	rl, sl    int
	synthetic session.Key
}

type emitter struct {
	logs    plog.Logs
	zones   sitezone.Zones
	current plog.LogRecordSlice
	last    runKey
	started bool
}

// render moves the placed records out of their batches into one output.
func (s *state) render(outs []session.Output) *emitted {
	e := &emitter{logs: plog.NewLogs(), zones: s.zones}
	result := &emitted{ended: map[session.EndReason]int{}}
	for _, out := range outs {
		switch {
		case out.Assignment != nil:
			a := out.Assignment
			b, at := s.locate(a.Ref)
			records, err := b.records(&s.records)
			if err != nil {
				// Not reached: the encoding was made from these records.
				result.undecodable++
				s.placed(b)
				continue
			}
			rl := records.ResourceLogs().At(at.rl)
			sl := rl.ScopeLogs().At(at.sl)
			lr := sl.LogRecords().At(at.lr)
			drop := a.Bot != "" && s.cfg.Bots.Action == BotsDrop
			if a.Started && !drop {
				e.synthetic(a.Key).sessionStart(a, lr.Timestamp())
				result.records++
				result.started++
			}
			if a.Bot != "" && schema.BotReasonOf(lr.Attributes()) == "" {
				// The receiver counted the events it judged itself.
				result.countBot(a.Key.Site, a.Bot)
			}
			if drop {
				s.placed(b)
				continue
			}
			attrs := lr.Attributes()
			markBot(attrs, a.Bot)
			attrs.PutStr(schema.AttrSessionID, a.SessionID)
			attrs.PutInt(schema.AttrSessionSeq, int64(a.Seq))
			s.stampFunnels(attrs, a.Funnels)
			// Only this processor marks an event late or a goal: a record
			// that came another way than the browserevents receiver (which
			// strips them) may carry marks of its own.
			attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return k == schema.AttrEventLate || k == schema.AttrEventGoal })
			if a.Late {
				attrs.PutBool(schema.AttrEventLate, true)
				result.late++
			}
			if a.Goal {
				attrs.PutBool(schema.AttrEventGoal, true)
			}
			lr.MoveTo(e.from(runKey{seq: b.seq, rl: at.rl, sl: at.sl}, a.Key.Site, rl, sl).AppendEmpty())
			result.records++
			s.placed(b)
		case out.Ending != nil:
			if out.Ending.Session.BotFromStart && s.cfg.Bots.Action == BotsDrop {
				// Nothing of the session was forwarded, not even its start.
				continue
			}
			e.synthetic(out.Ending.Key).sessionEnd(out.Ending)
			result.records++
			result.ended[out.Ending.Reason]++
		}
	}
	result.logs = e.logs
	return result
}

func (r *emitted) countBot(site, reason string) {
	if r.bots == nil {
		r.bots = map[botCount]int{}
	}
	r.bots[botCount{site, reason}]++
}

// markBot flags a bot's record; a session.end says so too, so that the
// metrics leave the session's summary out.
func markBot(attrs pcommon.Map, reason string) {
	if reason != "" {
		attrs.PutStr(schema.AttrUserAgentSynthetic, schema.SyntheticBot)
		attrs.PutStr(schema.AttrBotReason, reason)
	}
}

// from returns where a record of site from rl and sl goes: the resource
// and scope of the previous record when they are the same, else copies of
// them, the resource with the site's time zone.
func (e *emitter) from(key runKey, site string, rl plog.ResourceLogs, sl plog.ScopeLogs) plog.LogRecordSlice {
	if e.started && key == e.last {
		return e.current
	}
	out := e.logs.ResourceLogs().AppendEmpty()
	// Room for the zone first: the copy then fills it, and the zone is
	// added without growing the attributes again.
	out.Resource().Attributes().EnsureCapacity(rl.Resource().Attributes().Len() + 1)
	rl.Resource().CopyTo(out.Resource())
	out.Resource().Attributes().PutStr(schema.AttrSiteTimeZone, e.zones.Of(site).String())
	out.SetSchemaUrl(rl.SchemaUrl())
	scope := out.ScopeLogs().AppendEmpty()
	sl.Scope().CopyTo(scope.Scope())
	scope.SetSchemaUrl(sl.SchemaUrl())
	e.started, e.last, e.current = true, key, scope.LogRecords()
	return e.current
}

// synthetic returns a record for the processor's own events of one visitor.
func (e *emitter) synthetic(key session.Key) syntheticRecord {
	run := runKey{synthetic: key}
	if !e.started || run != e.last {
		out := e.logs.ResourceLogs().AppendEmpty()
		out.Resource().Attributes().EnsureCapacity(3)
		out.Resource().Attributes().PutStr(schema.AttrSiteID, key.Site)
		out.Resource().Attributes().PutStr(schema.AttrVisitorID, key.Visitor)
		out.Resource().Attributes().PutStr(schema.AttrSiteTimeZone, e.zones.Of(key.Site).String())
		scope := out.ScopeLogs().AppendEmpty()
		scope.Scope().SetName(metadata.ScopeName)
		e.started, e.last, e.current = true, run, scope.LogRecords()
	}
	return syntheticRecord(e.current.AppendEmpty())
}

// syntheticRecord is a session.start or session.end record being filled.
type syntheticRecord plog.LogRecord

// The most attributes sessionStart and sessionEnd put: each record's
// attributes are sized once rather than grown a put at a time
// (TestSyntheticRecordsAreSizedOnce).
const (
	sessionStartAttrs = 6
	sessionEndAttrs   = 23
)

func (r syntheticRecord) sessionStart(a *session.Assignment, at pcommon.Timestamp) {
	lr := plog.LogRecord(r)
	lr.SetEventName(schema.EventSessionStart)
	lr.SetTimestamp(at)
	attrs := lr.Attributes()
	attrs.EnsureCapacity(sessionStartAttrs)
	attrs.PutStr(schema.AttrEventID, a.SessionID+".start")
	attrs.PutStr(schema.AttrSessionID, a.SessionID)
	if a.PreviousID != "" {
		attrs.PutStr(schema.AttrSessionPrevID, a.PreviousID)
	}
	attrs.PutBool(schema.AttrSessionReturning, a.Returning)
	markBot(attrs, a.Bot)
}

func (r syntheticRecord) sessionEnd(end *session.Ending) {
	lr := plog.LogRecord(r)
	s := end.Session
	lr.SetEventName(schema.EventSessionEnd)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(s.End))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(sessionEndAttrs)
	attrs.PutStr(schema.AttrEventID, s.ID+".end")
	attrs.PutStr(schema.AttrSessionID, s.ID)
	attrs.PutInt(schema.AttrSessionStartTime, s.Start.UnixNano())
	attrs.PutInt(schema.AttrSessionEndTime, s.End.UnixNano())
	attrs.PutInt(schema.AttrSessionDurationMs, s.Duration().Milliseconds())
	attrs.PutInt(schema.AttrSessionPageViews, int64(s.PageViews))
	attrs.PutInt(schema.AttrSessionEvents, int64(s.Events))
	attrs.PutBool(schema.AttrSessionBounce, s.Bounce())
	attrs.PutBool(schema.AttrSessionReturning, s.Returning)
	attrs.PutStr(schema.AttrSessionEndReason, string(end.Reason))
	markBot(attrs, s.Bot)
	attr.PutNonEmpty(attrs, schema.AttrSessionEntryPage, s.EntryPage)
	attr.PutNonEmpty(attrs, schema.AttrSessionExitPage, s.ExitPage)
	attr.PutNonEmpty(attrs, schema.AttrReferrerClass, s.Attribution.ReferrerClass)
	attr.PutNonEmpty(attrs, schema.AttrReferrerSource, s.Attribution.ReferrerSource)
	attr.PutNonEmpty(attrs, schema.AttrUTMSource, s.Attribution.UTMSource)
	attr.PutNonEmpty(attrs, schema.AttrUTMMedium, s.Attribution.UTMMedium)
	attr.PutNonEmpty(attrs, schema.AttrUTMCampaign, s.Attribution.UTMCampaign)
	attr.PutNonEmpty(attrs, schema.AttrGeoCountry, s.Country)
	attr.PutNonEmpty(attrs, schema.AttrDeviceType, s.Device)
	if len(s.Goals) > 0 {
		goals := attrs.PutEmptySlice(schema.AttrSessionGoals)
		for _, g := range s.Goals {
			goals.AppendEmpty().SetStr(g)
		}
	}
	if len(s.Revenue) > 0 {
		revenue := attrs.PutEmptyMap(schema.AttrSessionRevenue)
		for _, m := range s.Revenue {
			revenue.PutDouble(m.Currency, m.Value)
		}
	}
}

// stampFunnels writes the funnel steps the event did. Only this processor
// writes the attribute: a value a client sent is removed.
func (s *state) stampFunnels(attrs pcommon.Map, moved session.FunnelProgress) {
	if moved == 0 {
		attrs.Remove(schema.AttrSessionFunnelSteps)
		return
	}
	steps := attrs.PutEmptyMap(schema.AttrSessionFunnelSteps)
	for f, funnel := range s.cfg.Funnels[:min(len(s.cfg.Funnels), session.MaxFunnels)] {
		if done := moved.Steps(f); done > 0 {
			steps.PutInt(funnel.Name, int64(done))
		}
	}
}
