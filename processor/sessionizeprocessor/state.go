// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"maps"
	"slices"
	"strings"
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
	cfg *Config
	// tracker keeps sessions per site: each site's watermark is its own.
	tracker *session.Sites
	dedup   *dedup.Cache
	// visitors remembers who had a session, for returning_visitor_window.
	visitors  *dedup.Cache
	telemetry *metadata.TelemetryBuilder

	// batches hold records the tracker has not placed yet, by sequence number.
	batches map[uint64]*batch
	nextSeq uint64
	// epoch counts the checkpoints written; participants (internal/cosave)
	// save their state under it.
	epoch int64
	// clocks are the newest receive times of the tracker's slots (a site, or
	// the sites past session.MaxSites together), which move their watermarks.
	clocks map[string]*siteClock
	// received is the latest receive time of any site's events, and
	// receivedAt the wall clock then. The receiver sets receive times, so
	// this clock is shared safely: it moves every site's watermark, so that
	// a quiet site's events are placed as soon as other traffic shows that
	// allowed_lateness has passed, as one watermark for all did.
	received siteClock
	// walDone lists write-ahead entries whose records are all placed: the
	// next checkpoint deletes them.
	walDone []uint64

	reportedLive, reportedPending             int
	reportedInternEvictions, reportedOverflow uint64
}

// siteClock is a site's newest receive time, and the wall-clock time it was
// seen, for the idle advance of the site's watermark.
type siteClock struct {
	newest, newestAt time.Time
}

func newState(cfg *Config, telemetry *metadata.TelemetryBuilder) *state {
	s := &state{cfg: cfg, telemetry: telemetry, batches: map[uint64]*batch{}, clocks: map[string]*siteClock{}}
	s.resetTracker()
	s.resetDedup()
	s.resetVisitors()
	return s
}

// resetTracker, resetDedup and resetVisitors start a part of the state
// empty: at creation, and when its checkpoint cannot be read.
func (s *state) resetTracker() {
	s.tracker = session.NewSites(s.cfg.rules(), sessionID, s.cfg.MaxSessions, s.cfg.MaxPendingEvents)
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
func (s *state) apply(b *batch, now time.Time) *emitted { return s.render(s.place(b, now)) }

// applyAll applies the batches of one group and renders what they placed
// together: one item for the next consumer per group, not per request,
// which is what keeps single-event beacons cheap downstream.
func (s *state) applyAll(batches []*batch, now time.Time) *emitted {
	var outs []session.Output
	for _, b := range batches {
		outs = append(outs, s.place(b, now)...)
	}
	return s.render(outs)
}

// place is apply without rendering: the tracker's output for b.
func (s *state) place(b *batch, now time.Time) []session.Output {
	ctx := context.Background()
	var outs []session.Output
	var slots []string
	duplicates := 0
	for i := range b.inputs {
		in := &b.inputs[i]
		if !b.accepted[i] {
			duplicates++
			continue
		}
		// Retries are judged on the collector's clock, like the watermark.
		s.dedup.Seen(in.Key.Site, in.EventID, in.Received)
		in.Ref = ref(b.seq, i)
		b.unplaced++
		s.batches[b.seq] = b
		late, slot, err := s.tracker.Add(*in)
		if err != nil {
			// Live batches are admitted with room for all their events; a
			// replay (max_pending_events lowered since, say) may not have
			// it. The site's buffered events up to this one are placed
			// early instead, and this one with them.
			outs = append(outs, s.tracker.Advance(s.tracker.Slot(in.Key.Site), in.Received)...)
			late, slot, err = s.tracker.Add(*in)
		}
		if err != nil {
			// Not reached: an event at or before the watermark is placed.
			s.telemetry.ProcessorSessionizeEventsDropped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", refusedPendingFull)))
			b.unplaced--
			continue
		}
		outs = append(outs, late...)
		s.see(slot, in.Received, now)
		if !slices.Contains(slots, slot) {
			slots = append(slots, slot)
		}
	}
	if duplicates > 0 {
		s.telemetry.ProcessorSessionizeEventsDropped.Add(ctx, int64(duplicates), metric.WithAttributes(attribute.String("reason", reasonDuplicate)))
	}
	if b.unplaced > 0 {
		s.batches[b.seq] = b
	}
	if b.received.After(s.received.newest) {
		s.received = siteClock{newest: b.received, newestAt: now}
	}
	// The batch's slots, and the slots whose buffered events the shared
	// receive clock may release.
	s.tracker.Waiting(func(slot string) {
		if !slices.Contains(slots, slot) {
			slots = append(slots, slot)
		}
	})
	slices.Sort(slots)
	for _, slot := range slots {
		if c, ok := s.clocks[slot]; ok {
			outs = append(outs, s.tracker.Advance(slot, s.front(c).newest.Add(-s.cfg.AllowedLateness))...)
		}
	}
	s.expire()
	return outs
}

// front is what moves a site's watermark: the later of its own newest
// receive time and the shared receive clock.
func (s *state) front(c *siteClock) siteClock {
	if s.received.newest.After(c.newest) {
		return s.received
	}
	return *c
}

// see moves slot's clock to event time at, seen at wall-clock time now.
func (s *state) see(slot string, at, now time.Time) {
	c, ok := s.clocks[slot]
	if !ok {
		c = &siteClock{}
		s.clocks[strings.Clone(slot)] = c
	}
	if at.After(c.newest) {
		c.newest, c.newestAt = at, now
	}
}

// idleAdvance moves each site's watermark with the wall clock when no newer
// event has come for it for watermark_idle_timeout, so that its sessions end
// when its traffic stops.
func (s *state) idleAdvance(now time.Time) *emitted {
	if s.cfg.WatermarkIdleTimeout <= 0 {
		return nil
	}
	var outs []session.Output
	for _, slot := range slices.Sorted(maps.Keys(s.clocks)) {
		front := s.front(s.clocks[slot])
		if idle := now.Sub(front.newestAt); idle >= s.cfg.WatermarkIdleTimeout {
			outs = append(outs, s.tracker.Advance(slot, front.newest.Add(idle-s.cfg.AllowedLateness))...)
		}
	}
	if len(outs) == 0 {
		return nil
	}
	s.expire()
	return s.render(outs)
}

// expire forgets event ids and visitors older than every site's watermark
// less their windows: one site's clock cannot make the others forget early.
func (s *state) expire() {
	if w := s.tracker.MinWatermark(); !w.IsZero() {
		s.dedup.Expire(w)
		s.visitors.Expire(w)
	}
}

// restoreClocks starts every restored site's clock at its watermark plus
// the lateness (its newest receive time when the watermark last followed
// it), seen now.
func (s *state) restoreClocks(now time.Time) {
	s.clocks = map[string]*siteClock{}
	s.received = siteClock{}
	s.tracker.Watermarks(func(slot string, watermark time.Time) {
		s.clocks[slot] = &siteClock{newest: watermark.Add(s.cfg.AllowedLateness), newestAt: now}
	})
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
		for bot, n := range e.bots {
			s.telemetry.ProcessorSessionizeBotEvents.Add(ctx, int64(n), metric.WithAttributes(attribute.String("site", bot.site), attribute.String("reason", bot.reason)))
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
	if overflowed := s.tracker.Overflowed(); overflowed > s.reportedOverflow {
		s.telemetry.ProcessorSessionizeEventsSiteOverflow.Add(ctx, int64(overflowed-s.reportedOverflow))
		s.reportedOverflow = overflowed
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
	if b.logged {
		s.walDone = append(s.walDone, b.seq)
	}
}
