// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/axiomhq/hyperloglog"

	"github.com/footfall-analytics/footfall/internal/binread"
)

// A delta is what the windows counted since a mark: for today and for each
// minute, either the visitors added since (a sketch of them alone, which
// merges into the sketch as of the mark) or, when the minute's slot or the
// day began anew after the mark, the whole new sketch. A HyperLogLog sketch
// only ever takes the larger of two register values, so the sketch at the
// mark merged with a sketch of the visitors added since is the sketch now:
// a delta costs the visitors seen in between, not 64 KiB per window.
//
// Encoding: deltaVersion, newest minute, today's key, today's change, the
// number of minute slots changed, then each one's minute and change. A
// change is a kind (unchanged, added, replaced, addedAsMinutes) and, for
// added and replaced, a length-prefixed sketch (empty when the window was
// emptied). Today usually takes the same visitors as the minutes do, so
// when the visitors added to today are those added to the minutes, today's
// change is addedAsMinutes: the merge of the minutes' changes, with no
// sketch of its own (a sparse sketch costs 20 bytes and 4 per visitor).
const deltaVersion = 0x82

// Kinds of change of one window since the mark.
const (
	unchanged byte = iota
	added
	replaced
	addedAsMinutes
)

// change is what one window (today or a minute) did since the mark: the
// visitors added to it, or replaced when it began anew. The visitors' hashes
// are listed (an append per visitor, on the path of every event) and made a
// sketch when a delta is taken; past maxNotedHashes the list is dropped
// (overflow) and, unless the window began anew, folded into the sketch,
// which then takes them, so a window notes at most its sketch.
type change struct {
	hashes   []uint64
	overflow bool
	added    *hyperloglog.Sketch
	replaced bool
}

// maxNotedHashes bounds a window's list of hashes (32 KiB).
const maxNotedHashes = 4096

func (c *change) kind() byte {
	switch {
	case c.replaced:
		return replaced
	case c.overflow || len(c.hashes) > 0:
		return added
	}
	return unchanged
}

// note records a visitor (its hash) added to the window.
func (c *change) note(h uint64) {
	if !c.overflow && len(c.hashes) < maxNotedHashes {
		c.hashes = append(c.hashes, h)
		return
	}
	if !c.overflow {
		c.overflow = true
		if !c.replaced { // a replaced window writes its whole sketch
			c.added = c.sketch()
		}
		c.hashes = nil
	}
	if c.added != nil {
		c.added.InsertHash(h)
	}
}

// sketch is the sketch of the visitors added.
func (c *change) sketch() *hyperloglog.Sketch {
	if c.added != nil {
		return c.added
	}
	sk := newSketch()
	for _, h := range c.hashes {
		sk.InsertHash(h)
	}
	return sk
}

// Mark starts noting changes: the next delta holds what is counted from
// now on. Before the first mark nothing is noted (a connector without
// storage never pays for it).
func (w *Windows) Mark() {
	w.marked = true
	w.todayChange = change{}
	for i := range w.minutes {
		w.minutes[i].change = change{}
	}
}

// AppendDelta appends the changes since the mark to out, and marks again.
func (w *Windows) AppendDelta(out []byte) ([]byte, error) {
	out = append(out, deltaVersion)
	out = binary.AppendVarint(out, w.newest)
	out = binary.AppendVarint(out, w.todayKey)
	var err error
	if w.todayChange.kind() == added && w.todayIsTheMinutes() {
		out = append(out, addedAsMinutes)
	} else if out, err = appendChange(out, &w.todayChange, w.today); err != nil {
		return nil, err
	}
	changed := 0
	for i := range w.minutes {
		if w.minutes[i].change.kind() != unchanged {
			changed++
		}
	}
	out = binary.AppendUvarint(out, uint64(changed))
	for i := range w.minutes {
		slot := &w.minutes[i]
		if slot.change.kind() == unchanged {
			continue
		}
		out = binary.AppendVarint(out, slot.minute)
		if out, err = appendChange(out, &slot.change, slot.sketch); err != nil {
			return nil, err
		}
	}
	w.Mark()
	return out, nil
}

// todayIsTheMinutes reports whether the visitors added to today since the
// mark are those added to the minutes: a visitor too late for the ring
// went to today alone, one of yesterday to a minute alone.
func (w *Windows) todayIsTheMinutes() bool {
	if w.todayChange.overflow {
		return false
	}
	minutes := map[uint64]struct{}{}
	for i := range w.minutes {
		c := &w.minutes[i].change
		if c.overflow {
			return false
		}
		for _, h := range c.hashes {
			minutes[h] = struct{}{}
		}
	}
	today := make(map[uint64]struct{}, len(minutes))
	for _, h := range w.todayChange.hashes {
		if _, ok := minutes[h]; !ok {
			return false
		}
		today[h] = struct{}{}
	}
	return len(today) == len(minutes)
}

func appendChange(out []byte, c *change, whole *hyperloglog.Sketch) ([]byte, error) {
	kind := c.kind()
	out = append(out, kind)
	switch kind {
	case added:
		return appendSketch(out, c.sketch())
	case replaced:
		return appendSketch(out, whole)
	}
	return out, nil
}

// ApplyDelta applies a delta AppendDelta encoded to the windows as they were
// at its mark (restored from a checkpoint, with the deltas before it
// applied). It reads the whole delta before it changes anything, so a
// corrupt one leaves the windows as they were.
func (w *Windows) ApplyDelta(data []byte) error {
	if len(data) == 0 || data[0] != deltaVersion {
		return fmt.Errorf("visitor windows delta: unknown version")
	}
	r := binread.New(data[1:])
	newest, todayKey := r.Varint(), r.Varint()
	today, err := readChange(r)
	if err != nil {
		return fmt.Errorf("%w: %w", errCorrupt, err)
	}
	n := r.Uvarint()
	if r.Err() != nil || n > ringMinutes {
		return errCorrupt
	}
	type slotChange struct {
		minute int64
		change decodedChange
	}
	slots := make([]slotChange, 0, n)
	for range n {
		minute := r.Varint()
		c, err := readChange(r)
		if err == nil && c.kind == addedAsMinutes {
			err = errors.New("a minute's change is the minutes'")
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errCorrupt, err)
		}
		slots = append(slots, slotChange{minute: minute, change: c})
	}
	if r.Err() != nil || r.Len() != 0 {
		return errCorrupt
	}
	for _, s := range slots {
		slot := w.minutes[slotOf(s.minute)]
		if s.change.kind == added && (slot.sketch == nil || slot.minute != s.minute) {
			return fmt.Errorf("%w: minute %d added to is not held", errCorrupt, s.minute)
		}
	}
	if (today.kind == added || today.kind == addedAsMinutes) && (w.today == nil || w.todayKey != todayKey) {
		return fmt.Errorf("%w: today added to is not held", errCorrupt)
	}

	w.newest, w.todayKey = newest, todayKey
	w.today, w.todayInserts = today.apply(w.today), 0
	for _, s := range slots {
		slot := &w.minutes[slotOf(s.minute)]
		slot.minute, slot.sketch, slot.inserts = s.minute, s.change.apply(slot.sketch), 0
		if today.kind == addedAsMinutes && s.change.sketch != nil {
			_ = w.today.Merge(s.change.sketch) // sketches of one precision always merge
		}
	}
	// The estimates cached were of the windows before.
	w.completedUpTo = -1
	w.recent = [ringMinutes + 1]recentWindow{}
	return nil
}

type decodedChange struct {
	kind   byte
	sketch *hyperloglog.Sketch
}

func readChange(r *binread.Reader) (decodedChange, error) {
	c := decodedChange{kind: r.Byte()}
	if r.Err() != nil {
		return c, r.Err()
	}
	switch c.kind {
	case unchanged, addedAsMinutes:
		return c, nil
	case added, replaced:
		sk, err := sketch(r)
		if err == nil && c.kind == added && sk == nil {
			err = fmt.Errorf("no sketch of the visitors added")
		}
		c.sketch = sk
		return c, err
	}
	return c, fmt.Errorf("unknown change %d", c.kind)
}

// apply returns what a window becomes: the sketch of the delta when it
// began anew, the merge when visitors were added.
func (c decodedChange) apply(current *hyperloglog.Sketch) *hyperloglog.Sketch {
	switch c.kind {
	case replaced:
		return c.sketch
	case added:
		_ = current.Merge(c.sketch) // sketches of one precision always merge
	}
	return current
}
