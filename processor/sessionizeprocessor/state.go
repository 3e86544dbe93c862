// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"time"

	"github.com/footfall-analytics/footfall/internal/sitezone"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// state is what the processor keeps around its synchronous core
// (internal/core): the batches whose records the core still holds, the
// write-ahead bookkeeping, and what the telemetry last reported. Exactly
// one goroutine owns it at a time: the owner loop while the processor runs,
// Start and Shutdown before and after.
type state struct {
	cfg       *Config
	core      *core.Core
	telemetry *metadata.TelemetryBuilder
	// zones are the sites' time zones, stamped on the output
	// (schema.AttrSiteTimeZone).
	zones sitezone.Zones

	// batches hold records the core has not placed yet, by sequence number.
	batches map[uint64]*batch
	nextSeq uint64
	// epoch counts the checkpoints written; participants (internal/cosave)
	// save their state under it.
	epoch int64
	// walDone lists write-ahead entries whose records are all placed: the
	// next checkpoint deletes them.
	walDone []uint64
	// chain is what the stored checkpoint is made of (checkpointrun.go);
	// ids and visitors are the memory's stored segments (memorylog.go).
	chain         checkpointChain
	ids, visitors memoryLog
	// records expands held batches' records (held.go).
	records recordDecoder

	reported reported
}

// reported is what the telemetry was last told of the core's gauges and
// running counts.
type reported struct {
	live, pending int
	evictions     core.Evictions
}

func newState(cfg *Config, telemetry *metadata.TelemetryBuilder) *state {
	zones, _ := cfg.Zones() // Validate refused a zone that cannot load
	return &state{
		cfg: cfg, core: core.New(cfg.coreConfig()), telemetry: telemetry, zones: zones, batches: map[uint64]*batch{},
		ids:      newMemoryLog(idsSegmentPrefix, partDedup),
		visitors: newMemoryLog(visitorsSegmentPrefix, partVisitors),
	}
}

// filterDuplicates marks the inputs whose event id was already seen: applied
// here, or taken by group g or a group in flight before it (seen, which
// remembers g's). A group in flight holding the first copy becomes one of
// g's deps: g stands or falls with it.
func (s *state) filterDuplicates(b *batch, seen map[[2]string]*walGroup, g *walGroup) int {
	b.accepted = make([]bool, len(b.inputs))
	accepted := 0
	for i, in := range b.inputs {
		id := [2]string{in.Key.Site, in.EventID}
		if first := seen[id]; first != nil {
			if first != g {
				g.deps = append(g.deps, first)
			}
			continue
		}
		if s.core.IsDuplicate(in.Key.Site, in.EventID) {
			continue
		}
		seen[id] = g
		g.ids = append(g.ids, id)
		b.accepted[i] = true
		accepted++
	}
	return accepted
}

// apply hands a durable batch's accepted events to the core and returns
// what was placed.
func (s *state) apply(b *batch, now time.Time) *emitted { return s.applyAll([]*batch{b}, now) }

// applyAll applies the batches of one group and renders what they placed
// together: one item for the next consumer per group, not per request,
// which is what keeps single-event beacons cheap downstream.
func (s *state) applyAll(batches []*batch, now time.Time) *emitted {
	var outs []session.Output
	for _, b := range batches {
		outs = append(outs, s.place(b, now)...)
	}
	e := s.render(outs)
	for _, b := range batches {
		s.compact(b)
	}
	return e
}

// place is apply without rendering: the core's output for b. The batch is
// kept until the core has placed each of its events.
func (s *state) place(b *batch, now time.Time) []session.Output {
	events := s.accepted(b)
	if duplicates := len(b.inputs) - len(events); duplicates > 0 {
		s.telemetry.ProcessorSessionizeEventsDropped.Add(context.Background(), int64(duplicates), metric.WithAttributes(attribute.String("reason", reasonDuplicate)))
	}
	outs, refused := s.core.Apply(events, b.received, now)
	if len(refused) > 0 {
		// Not reached: an event at or before the watermark is placed.
		s.telemetry.ProcessorSessionizeEventsDropped.Add(context.Background(), int64(len(refused)), metric.WithAttributes(attribute.String("reason", refusedPendingFull)))
	}
	if len(events) > 0 {
		s.hold(b, len(events)-len(refused))
	}
	return outs
}

// accepted are b's events that are no duplicates, each with its Ref: the
// batch's own inputs when all are (the usual case: no copy).
func (*state) accepted(b *batch) []session.Input {
	all := true
	for i := range b.inputs {
		b.inputs[i].Ref = ref(b.seq, i)
		all = all && b.accepted[i]
	}
	if all {
		return b.inputs
	}
	events := make([]session.Input, 0, len(b.inputs))
	for i, in := range b.inputs {
		if b.accepted[i] {
			events = append(events, in)
		}
	}
	return events
}

// hold keeps b until the core has placed its unplaced events.
func (s *state) hold(b *batch, unplaced int) {
	b.unplaced = unplaced
	if unplaced > 0 {
		s.batches[b.seq] = b
	} else {
		s.placedAll(b)
	}
}

// count counts what a step emitted.
func (s *state) count(e *emitted) {
	ctx := context.Background()
	if e.late > 0 {
		s.telemetry.ProcessorSessionizeEventsLate.Add(ctx, int64(e.late))
	}
	if e.undecodable > 0 {
		s.telemetry.ProcessorSessionizeEventsDropped.Add(ctx, int64(e.undecodable), metric.WithAttributes(attribute.String("reason", reasonUndecodable)))
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

// reportGauges tells the telemetry how the core's gauges and running
// counts changed since it was last told.
func (s *state) reportGauges() {
	ctx := context.Background()
	live, pending := s.core.Live(), s.core.Pending()
	s.telemetry.ProcessorSessionizeSessionsLive.Add(ctx, int64(live-s.reported.live))
	s.telemetry.ProcessorSessionizeEventsPending.Add(ctx, int64(pending-s.reported.pending))
	s.reported.live, s.reported.pending = live, pending
	now, was := s.core.Evictions(), s.reported.evictions
	for _, c := range []struct {
		counter  metric.Int64Counter
		now, was uint64
	}{
		{s.telemetry.ProcessorSessionizeDedupEvictions, now.IDs, was.IDs},
		{s.telemetry.ProcessorSessionizeRememberedVisitorEvictions, now.Visitors, was.Visitors},
		{s.telemetry.ProcessorSessionizeInternerEvictions, now.Interned, was.Interned},
		{s.telemetry.ProcessorSessionizeEventsSiteOverflow, now.Overflowed, was.Overflowed},
	} {
		if c.now > c.was {
			c.counter.Add(ctx, int64(c.now-c.was))
		}
	}
	s.reported.evictions = now
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
