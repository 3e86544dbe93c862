// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// The idle watermark follows the wall clock, which a replay cannot read
// again. So a move of it that places an event or ends a session is a
// write-ahead entry of its own (walVersionMoves: each slot and the
// watermark it moved to), taken in sequence with the batches and applied
// once durable, like them; a replay applies it at the same point and
// places the same events. Without it, a restore would place them only
// after its own watermark_idle_timeout, and meanwhile show less than was
// shown before: a counter going back. A move that places nothing is made
// at once and not written: it changes no output.

// maxMovesPerEntry bounds the slots an entry of moves holds when read back
// (session.MaxSites and the overflow slot fit many times over).
const maxMovesPerEntry = 1 << 16

// advanceIdle moves quiet sites' watermarks with the wall clock.
func (p *sessionizeProcessor) advanceIdle(now time.Time) {
	moves, places := p.state.core.IdleMoves(now)
	switch {
	case len(moves) == 0:
	case !places || p.wal == nil:
		p.emit(p.state.move(moves))
	case p.inFlight.groups < maxWALInFlight:
		p.logMoves(moves, now)
	default:
		// The writer is full: the next tick moves them.
	}
}

// logMoves writes moves ahead as an entry and applies them once it is
// durable (finish), after the groups in flight before it.
func (p *sessionizeProcessor) logMoves(moves []core.WatermarkMove, now time.Time) {
	s := p.state
	g := &walGroup{now: now, firstSeq: s.nextSeq, moves: moves}
	g.entries = []wal.Entry{{Seq: s.nextSeq, Head: encodeMoves(moves)}}
	s.nextSeq++
	if p.writer == nil {
		if _, err := p.appendWAL(g.entries); err != nil {
			s.nextSeq = g.firstSeq
			p.movesNotWritten(err)
			return
		}
		p.finish(g)
		return
	}
	p.inFlight.add(g)
	p.writer.todo <- g
}

// applyMoves applies a group's durable moves; the entry is then done.
func (p *sessionizeProcessor) applyMoves(g *walGroup) {
	if g.err != nil {
		p.movesNotWritten(g.err)
		return
	}
	p.emit(p.state.move(g.moves))
	p.state.walDone = append(p.state.walDone, g.firstSeq)
}

// movesNotWritten: the moves are not made; the next tick finds them again.
func (p *sessionizeProcessor) movesNotWritten(err error) {
	p.settings.Logger.Warn("Writing the idle watermark's move ahead failed; it is tried again at the next tick", zap.Error(err))
}

// move applies moves to the core and renders what they placed.
func (s *state) move(moves []core.WatermarkMove) *emitted {
	outs := s.core.Move(moves)
	if len(outs) == 0 {
		return nil
	}
	return s.render(outs)
}

// encodeMoves is an entry of moves: version, count, then each slot and
// its watermark in Unix nanoseconds.
func encodeMoves(moves []core.WatermarkMove) []byte {
	out := []byte{walVersionMoves}
	out = binary.AppendUvarint(out, uint64(len(moves)))
	for _, m := range moves {
		out = binary.AppendUvarint(out, uint64(len(m.Slot)))
		out = append(out, m.Slot...)
		out = binary.AppendVarint(out, m.Watermark.UnixNano())
	}
	return out
}

// decodeMoves reads an entry of moves back.
func decodeMoves(seq uint64, data []byte) ([]core.WatermarkMove, error) {
	r := binread.New(data)
	if version := r.Byte(); r.Err() == nil && version != walVersionMoves {
		return nil, fmt.Errorf("write-ahead entry %d: version %d is not a move of the watermark", seq, version)
	}
	n := r.Count()
	if n > maxMovesPerEntry {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: %d moves", seq, n)
	}
	moves := make([]core.WatermarkMove, 0, n)
	for range n {
		slot := string(r.Bytes())
		at := r.Varint()
		moves = append(moves, core.WatermarkMove{Slot: slot, Watermark: time.Unix(0, at).UTC()})
	}
	if r.Err() == nil && r.Len() > 0 {
		r.Fail(fmt.Errorf("%d bytes after the moves", r.Len()))
	}
	if r.Err() != nil {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: %w", seq, r.Err())
	}
	return moves, nil
}
