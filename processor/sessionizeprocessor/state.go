// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// state is everything the sessionizer remembers. Exactly one goroutine owns
// it at a time: the owner loop while the processor runs, Start and Shutdown
// before and after.
type state struct {
	cfg     *Config
	tracker *session.Tracker
	dedup   *dedup.Cache
	// visitors remembers who had a session, for returning_visitor_window.
	visitors  *dedup.Cache
	telemetry *metadata.TelemetryBuilder

	// batches hold records the tracker has not placed yet, by sequence number.
	batches map[uint64]*batch
	nextSeq uint64
	// newest is the newest event time seen; newestAt the wall-clock time it
	// was seen, for the idle advance of the watermark.
	newest, newestAt time.Time
	// walDone lists write-ahead entries whose records are all placed: the
	// next checkpoint deletes them.
	walDone []uint64

	reportedLive, reportedPending int
	reportedInternEvictions       uint64
}

func newState(cfg *Config, telemetry *metadata.TelemetryBuilder) *state {
	s := &state{cfg: cfg, telemetry: telemetry, batches: map[uint64]*batch{}}
	s.resetTracker()
	s.resetDedup()
	s.resetVisitors()
	return s
}

// resetTracker, resetDedup and resetVisitors start a part of the state
// empty: at creation, and when its checkpoint cannot be read.
func (s *state) resetTracker() {
	s.tracker = session.NewTracker(s.cfg.rules(), sessionID, s.cfg.MaxSessions, s.cfg.MaxPendingEvents)
	s.tracker.Returning = func(opening session.Input) bool {
		return s.visitors.Seen(opening.Key.Site, opening.Key.Visitor, opening.Event.Time)
	}
}

func (s *state) resetDedup() {
	s.dedup = dedup.New(s.cfg.DedupWindow, s.cfg.DedupMaxEntries, func() {
		s.telemetry.ProcessorSessionizeDedupEvictions.Add(context.Background(), 1)
	})
}

func (s *state) resetVisitors() {
	s.visitors = dedup.New(s.cfg.ReturningVisitorWindow, s.cfg.MaxRememberedVisitors, func() {
		s.telemetry.ProcessorSessionizeRememberedVisitorEvictions.Add(context.Background(), 1)
	})
}

// filterDuplicates marks the inputs whose event id was already seen, here or
// earlier in the same group of batches (seenInGroup), without remembering any.
func (s *state) filterDuplicates(b *batch, seenInGroup map[[2]string]bool) int {
	b.accepted = make([]bool, len(b.inputs))
	accepted := 0
	for i, in := range b.inputs {
		id := [2]string{in.Key.Site, in.EventID}
		if seenInGroup[id] || s.dedup.Has(in.Key.Site, in.EventID) {
			continue
		}
		seenInGroup[id] = true
		b.accepted[i] = true
		accepted++
	}
	return accepted
}

// apply remembers a durable batch's accepted events, hands them to the
// tracker, advances the watermark, and returns what was placed.
func (s *state) apply(b *batch, now time.Time) *emitted {
	ctx := context.Background()
	var outs []session.Output
	duplicates := 0
	for i := range b.inputs {
		in := &b.inputs[i]
		if !b.accepted[i] {
			duplicates++
			continue
		}
		s.dedup.Seen(in.Key.Site, in.EventID, in.Event.Time)
		in.Ref = ref(b.seq, i)
		b.unplaced++
		s.batches[b.seq] = b
		late, err := s.tracker.Add(*in)
		if err != nil {
			// The caller checked room for the whole batch before writing it.
			panic(err)
		}
		outs = append(outs, late...)
		if in.Event.Time.After(s.newest) {
			s.newest, s.newestAt = in.Event.Time, now
		}
	}
	if duplicates > 0 {
		s.telemetry.ProcessorSessionizeEventsDropped.Add(ctx, int64(duplicates), metric.WithAttributes(attribute.String("reason", reasonDuplicate)))
	}
	if b.unplaced > 0 {
		s.batches[b.seq] = b
	}
	outs = append(outs, s.advance(s.newest.Add(-s.cfg.AllowedLateness))...)
	return s.render(outs)
}

// idleAdvance moves the watermark with the wall clock when no newer event has
// come for watermark_idle_timeout, so that sessions end when traffic stops.
func (s *state) idleAdvance(now time.Time) *emitted {
	idle := now.Sub(s.newestAt)
	if s.cfg.WatermarkIdleTimeout <= 0 || s.newestAt.IsZero() || idle < s.cfg.WatermarkIdleTimeout {
		return nil
	}
	return s.render(s.advance(s.newest.Add(idle - s.cfg.AllowedLateness)))
}

func (s *state) advance(watermark time.Time) []session.Output {
	outs := s.tracker.Advance(watermark)
	s.dedup.Expire(s.tracker.Watermark())
	s.visitors.Expire(s.tracker.Watermark())
	return outs
}

// record counts what a step emitted and reports the gauges' changes.
func (s *state) record(e *emitted) {
	ctx := context.Background()
	if e != nil {
		if e.late > 0 {
			s.telemetry.ProcessorSessionizeEventsLate.Add(ctx, int64(e.late))
		}
		if e.started > 0 {
			s.telemetry.ProcessorSessionizeSessionsStarted.Add(ctx, int64(e.started))
		}
		for reason, n := range e.ended {
			s.telemetry.ProcessorSessionizeSessionsEnded.Add(ctx, int64(n), metric.WithAttributes(attribute.String("reason", string(reason))))
		}
	}
	live, pending := s.tracker.Live(), s.tracker.Pending()
	s.telemetry.ProcessorSessionizeSessionsLive.Add(ctx, int64(live-s.reportedLive))
	s.telemetry.ProcessorSessionizeEventsPending.Add(ctx, int64(pending-s.reportedPending))
	s.reportedLive, s.reportedPending = live, pending
	if evicted := s.tracker.InternEvictions(); evicted > s.reportedInternEvictions {
		s.telemetry.ProcessorSessionizeInternerEvictions.Add(ctx, int64(evicted-s.reportedInternEvictions))
		s.reportedInternEvictions = evicted
	}
}

func ref(seq uint64, index int) int { return int(seq<<refIndexBits) | index }

func (s *state) locate(r int) (*batch, recordAt) {
	b := s.batches[uint64(r)>>refIndexBits]
	return b, b.where[r&(maxBatchRecords-1)]
}

// placed notes that one of b's records left the tracker.
func (s *state) placed(b *batch) {
	b.unplaced--
	if b.unplaced == 0 {
		s.placedAll(b)
	}
}

func (s *state) placedAll(b *batch) {
	delete(s.batches, b.seq)
	if b.wal != nil {
		s.walDone = append(s.walDone, b.seq)
	}
}
