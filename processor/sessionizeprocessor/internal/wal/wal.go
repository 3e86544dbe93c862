// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package wal is the sessionizer's write-ahead log in files: numbered
// entries appended to segments with one write and one fsync per group, on
// Prometheus' tsdb/wlog (CRC32C per record, torn-tail repair), which
// Prometheus and Loki use for the same job.
package wal // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/prometheus/prometheus/tsdb/wlog"
	"github.com/prometheus/prometheus/util/compression"
)

// Sizes of wlog's pages and record headers: a record is split into
// fragments of at most one page, each with a header.
const (
	pageSize         = 32 * 1024
	recordHeaderSize = 7
)

// DefaultSegmentSize is the size past which a new segment starts. Segments
// are deleted whole, once a checkpoint covers every entry they hold.
const DefaultSegmentSize = 32 * 1024 * 1024

// Entry is one appended value and its sequence number. Append writes Head
// followed by Data, so that a caller can put a header before bytes it holds
// already without copying them together first; Replay returns both as
// Data.
type Entry struct {
	Seq  uint64
	Head []byte
	Data []byte
}

// Size is the length of the entry's value.
func (e Entry) Size() int { return len(e.Head) + len(e.Data) }

// segmentStart records the first sequence number written to a segment.
type segmentStart struct {
	segment int
	first   uint64
}

// Log is a write-ahead log of entries with increasing sequence numbers.
// It is not safe for concurrent use, except DeleteBefore: the sessionizer's
// writer appends and its owner releases, under the lock of the processor's
// segmentWAL.
type Log struct {
	wl          *wlog.WL
	segmentSize int
	// current is the segment being written and written an upper bound of
	// the bytes in it: segments are rotated by Log, before a group would
	// overflow one, because a rotation inside wlog's own Log syncs the
	// previous segment asynchronously, after the caller has acknowledged.
	current int
	written int
	// starts lists, oldest first, the segments holding entries and the
	// first entry of each.
	starts []segmentStart
	// scratch holds a group's records while wlog copies them into its
	// pages, and records and ends slice it; kept between groups, so that
	// an append allocates nothing, unless it grew past maxKeptScratch.
	scratch []byte
	records [][]byte
	ends    []int
}

// maxKeptScratch bounds the scratch buffer kept after an append: a rare
// large group does not pin its size.
const maxKeptScratch = 4 << 20

// ErrTooLarge is returned by Append for an entry that cannot fit in one
// segment.
var ErrTooLarge = errors.New("write-ahead entry is larger than a segment")

// Open opens the log in dir (made if missing), with segments of
// segmentSize bytes (a multiple of 32 KiB). Call Replay before Append.
func Open(dir string, segmentSize int) (*Log, error) {
	if segmentSize <= 0 || segmentSize%pageSize != 0 {
		return nil, fmt.Errorf("segment size %d is not a positive multiple of %d", segmentSize, pageSize)
	}
	wl, err := wlog.NewSize(nil, nil, dir, segmentSize, compression.None)
	if err != nil {
		return nil, fmt.Errorf("open write-ahead log: %w", err)
	}
	l := &Log{wl: wl, segmentSize: segmentSize}
	if err := l.findCurrent(); err != nil {
		_ = wl.Close()
		return nil, err
	}
	return l, nil
}

func (l *Log) findCurrent() error {
	_, last, err := wlog.Segments(l.wl.Dir())
	if err != nil {
		return fmt.Errorf("list write-ahead segments: %w", err)
	}
	l.current, l.written = last, 0
	return nil
}

// Replay calls visit with every entry in the log, oldest first. A torn or
// corrupt tail (a crash in the middle of a write, which was never
// acknowledged) is cut off and reported in repaired; the entries before it
// are kept.
func (l *Log) Replay(visit func(Entry) error) (repaired error, err error) {
	reader, err := wlog.NewSegmentsReader(l.wl.Dir())
	if err != nil {
		return nil, fmt.Errorf("read write-ahead log: %w", err)
	}
	defer reader.Close()
	r := wlog.NewReader(reader)
	l.starts = l.starts[:0]
	for r.Next() {
		seq, n := binary.Uvarint(r.Record())
		if n <= 0 {
			// The checksum matched: the bytes are what was written, so this
			// build cannot have written them.
			return nil, fmt.Errorf("write-ahead log segment %d holds a record without a sequence number", r.Segment())
		}
		l.noteStart(r.Segment(), seq)
		if err := visit(Entry{Seq: seq, Data: r.Record()[n:]}); err != nil {
			return nil, err
		}
	}
	readErr := r.Err()
	if readErr == nil {
		return nil, nil
	}
	if err := l.wl.Repair(readErr); err != nil {
		return nil, fmt.Errorf("repair write-ahead log after %w: %w", readErr, err)
	}
	return readErr, l.findCurrent()
}

func (l *Log) noteStart(segment int, seq uint64) {
	if n := len(l.starts); n == 0 || l.starts[n-1].segment != segment {
		l.starts = append(l.starts, segmentStart{segment: segment, first: seq})
	}
}

// Append writes entries and syncs them to disk: when it returns nil, they
// survive a crash.
func (l *Log) Append(entries []Entry) error {
	defer l.dropLargeScratch()
	l.scratch, l.ends = l.scratch[:0], l.ends[:0]
	for _, e := range entries {
		size := footprint(uvarintLen(e.Seq) + e.Size())
		if size > l.segmentSize-pageSize {
			return ErrTooLarge
		}
		if l.written > 0 && l.written+size > l.segmentSize-pageSize {
			if err := l.flush(); err != nil {
				return err
			}
			next, err := l.wl.NextSegmentSync()
			if err != nil {
				return fmt.Errorf("start write-ahead segment: %w", err)
			}
			l.current, l.written = next, 0
		}
		l.noteStart(l.current, e.Seq)
		l.written += size
		l.scratch = binary.AppendUvarint(l.scratch, e.Seq)
		l.scratch = append(append(l.scratch, e.Head...), e.Data...)
		l.ends = append(l.ends, len(l.scratch))
	}
	if err := l.flush(); err != nil {
		return fmt.Errorf("append to write-ahead log: %w", err)
	}
	if err := l.wl.Sync(); err != nil {
		return fmt.Errorf("sync write-ahead log: %w", err)
	}
	return nil
}

// flush hands wlog the records in scratch. wlog copies them into its
// pages, so scratch is empty again once it returns.
func (l *Log) flush() error {
	if len(l.ends) == 0 {
		return nil
	}
	l.records = l.records[:0]
	start := 0
	for _, end := range l.ends {
		l.records = append(l.records, l.scratch[start:end])
		start = end
	}
	err := l.wl.Log(l.records...)
	clear(l.records)
	l.scratch, l.ends = l.scratch[:0], l.ends[:0]
	return err
}

func (l *Log) dropLargeScratch() {
	if cap(l.scratch) > maxKeptScratch {
		l.scratch = nil
	}
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}

// MaxEntryBytes is the largest entry Append takes: one must fit in a
// segment.
func (l *Log) MaxEntryBytes() int {
	room := l.segmentSize - pageSize
	headers := (room/(pageSize-recordHeaderSize) + 3) * recordHeaderSize
	return room - headers - binary.MaxVarintLen64
}

// footprint bounds the bytes a record of n bytes takes in a segment: its
// fragments' headers, and a page end too short for another header.
func footprint(n int) int {
	fragments := n/(pageSize-recordHeaderSize) + 2
	return n + fragments*recordHeaderSize + recordHeaderSize
}

// Release forgets the segments that hold only entries before oldest (a
// checkpoint covers them) and returns the first segment kept: the files
// before it may be deleted (DeleteBefore). ok is false when there is none
// to delete.
func (l *Log) Release(oldest uint64) (kept int, ok bool) {
	keep := -1
	for i, s := range l.starts {
		if s.first <= oldest {
			keep = i
		}
	}
	if keep <= 0 {
		return 0, false
	}
	kept = l.starts[keep].segment
	l.starts = l.starts[keep:]
	return kept, true
}

// DeleteBefore deletes the segment files before segment kept, which
// Release returned. Unlike the rest of Log it may run beside Append (on
// another goroutine): it touches only files Release let go of, and Append
// writes only to later ones. Deleting a segment frees its blocks, which
// takes tens of milliseconds on some filesystems.
func (l *Log) DeleteBefore(kept int) error {
	if err := l.wl.Truncate(kept); err != nil {
		return fmt.Errorf("delete write-ahead segments: %w", err)
	}
	return nil
}

// Segments is the number of segments holding entries.
func (l *Log) Segments() int { return len(l.starts) }

// Close syncs and closes the log.
func (l *Log) Close() error { return l.wl.Close() }
