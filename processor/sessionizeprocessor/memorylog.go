// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"strconv"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/footfall-analytics/footfall/internal/dedup"
)

// The event id memory and the returning visitor memory only grow at one
// end and are forgotten at the other: an entry never changes. So a
// checkpoint stores what each remembered since the checkpoint before as a
// segment under a key of its own ("checkpoint/ids/<n>",
// "checkpoint/visitors/<n>"; dedup.Cache.BeginSegment), and deletes a
// segment once the memory has forgotten all of it; a base holds the
// sessions alone. Before (checkpoint version 2) every base rewrote both
// memories whole: the ids of the last dedup_window and the visitors of the
// last returning_visitor_window (a day), where the sessions that make a
// base worth writing change within minutes. The envelope says which
// segments are live and where each memory's front is (memoryLog.after).

// memoryLog is the stored segments of one memory.
type memoryLog struct {
	prefix, part string
	// based: the live segments hold the memory, so the next checkpoint
	// writes what it remembered since. A restart without them, a failed
	// write or a segment that cannot be read clears it: the next writes
	// the memory whole, and deletes every segment before it.
	based bool
	// first is the number of the oldest live segment; ends holds the
	// number after the last entry of each, oldest first.
	first int
	ends  []uint64
	// file names the base file that holds segment fileSegment, when that
	// one is live: a memory written whole with a base, with wal_directory
	// set (basestream.go), is written as a file while it is encoded.
	file        string
	fileSegment int
}

// maxMemorySegments bounds the live segments of a memory, and so the keys
// a restore reads one by one: past it, the next checkpoint writes the
// memory whole in one. Ids leave within dedup_window (10 minutes: 60
// segments at a checkpoint every 10 seconds); visitors stay a day (8,640
// at that pace), so their memory is written whole about twice a day.
const maxMemorySegments = 4096

func newMemoryLog(prefix, part string) memoryLog {
	return memoryLog{prefix: prefix, part: part}
}

func (l *memoryLog) key(n int) string { return l.prefix + strconv.Itoa(n) }

// next is the number the next segment is stored under.
func (l *memoryLog) next() int { return l.first + len(l.ends) }

// whole reports whether the next checkpoint writes the memory whole.
func (l *memoryLog) whole() bool { return !l.based || len(l.ends) >= maxMemorySegments }

// memoryWrite is what a checkpoint stores of one memory.
type memoryWrite struct {
	// after is the log once the checkpoint is stored.
	after memoryLog
	// stale are the segments it deletes; segment, when set, the number
	// the new segment is stored under.
	stale   []int
	segment int
	front   uint64
}

// plan is what a checkpoint whose segment of this memory is span writes
// and deletes: every segment before a whole one, else those the memory
// has forgotten entirely.
func (l *memoryLog) plan(span dedup.Span, whole bool) memoryWrite {
	w := memoryWrite{after: *l, segment: -1, front: span.Front}
	drop := len(l.ends)
	if !whole {
		drop = 0
		for drop < len(l.ends) && l.ends[drop] <= span.Front {
			drop++
		}
	}
	for n := l.first; n < l.first+drop; n++ {
		w.stale = append(w.stale, n)
	}
	w.after.first += drop
	w.after.ends = append([]uint64(nil), l.ends[drop:]...)
	if w.after.fileSegment < w.after.first {
		w.after.file = ""
	}
	if span.End > span.Start {
		w.segment = w.after.next()
		w.after.ends = append(w.after.ends, span.End)
	}
	w.after.based = true
	return w
}

// inFile makes the new segment the file ref names, when it is in one:
// the value stored is the reference. Otherwise it is data.
func (w *memoryWrite) inFile(ref *baseFileRef, data []byte) []byte {
	if ref == nil || w.segment < 0 {
		return data
	}
	w.after.file, w.after.fileSegment = ref.name, w.segment
	return ref.encode()
}

// ops are the storage operations of w, the new segment's value data.
func (w *memoryWrite) ops(data []byte) []*storage.Operation {
	var ops []*storage.Operation
	for _, n := range w.stale {
		ops = append(ops, storage.DeleteOperation(w.after.key(n)))
	}
	if w.segment >= 0 {
		ops = append(ops, storage.SetOperation(w.after.key(w.segment), data))
	}
	return ops
}
