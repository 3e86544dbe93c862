// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package spill is the exporter's log on disk for the time Kafka is away:
// entries appended to numbered segment files, one write and one fdatasync
// per group, read back in order by one drainer, and deleted a segment at a
// time once Kafka has acknowledged all of it.
//
// The format of a segment, named by its number (%020d.spill): entries, each
// a 4-byte little-endian payload length, the payload's CRC-32C (4 bytes)
// and the payload. A crash during an append leaves a torn entry at the end
// of the last segment; Open cuts it off (that append was never
// acknowledged).
package spill // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/spill"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/footfall-analytics/footfall/internal/durablefile"
)

const (
	headerSize = 8
	suffix     = ".spill"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrFull is returned by Append when the group would take the log past its
// size bound.
var ErrFull = errors.New("the spill is full")

// ErrCorrupt is returned by Read for an entry whose checksum or length is
// wrong; the reader goes on from the next segment.
var ErrCorrupt = errors.New("corrupt spill entry")

// Cursor is a position in the log: a segment and a byte offset in it.
type Cursor struct {
	Segment uint64
	Offset  int64
}

type segment struct {
	id uint64
	// size is the segment's durable length: what Read may return.
	size int64
}

// Log is safe for one appender and one reader at a time, concurrently.
type Log struct {
	dir         string
	segmentSize int64
	maxBytes    int64

	// f is the segment appended to; only the appender uses it.
	f *os.File

	mu       sync.Mutex
	segments []segment // oldest first; the last one is appended to
	total    int64
}

// Open opens the log in dir (made if missing). Segments start anew past
// segmentSize bytes; Append refuses a group that would take the whole log
// past maxBytes.
func Open(dir string, segmentSize, maxBytes int64) (*Log, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make spill directory: %w", err)
	}
	l := &Log{dir: dir, segmentSize: segmentSize, maxBytes: maxBytes}
	ids, err := l.list()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		info, err := os.Stat(l.path(id))
		if err != nil {
			return nil, fmt.Errorf("read spill segment: %w", err)
		}
		l.segments = append(l.segments, segment{id: id, size: info.Size()})
		l.total += info.Size()
	}
	if err := l.repairTail(); err != nil {
		return nil, err
	}
	next := uint64(1)
	if n := len(l.segments); n > 0 {
		next = l.segments[n-1].id
		if l.segments[n-1].size > 0 {
			next++
		}
	}
	if err := l.startSegment(next); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Log) list() ([]uint64, error) {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("read spill directory: %w", err)
	}
	var ids []uint64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), suffix)
		if !ok || e.IsDir() {
			continue
		}
		id, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

func (l *Log) path(id uint64) string {
	return filepath.Join(l.dir, fmt.Sprintf("%020d%s", id, suffix))
}

// repairTail cuts the last segment after its last whole entry.
func (l *Log) repairTail() error {
	n := len(l.segments)
	if n == 0 {
		return nil
	}
	last := &l.segments[n-1]
	f, err := os.OpenFile(l.path(last.id), os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open spill segment: %w", err)
	}
	defer f.Close()
	good, err := validPrefix(f, last.size)
	if err != nil {
		return err
	}
	if good == last.size {
		return nil
	}
	if err := f.Truncate(good); err != nil {
		return fmt.Errorf("cut the torn end of the spill: %w", err)
	}
	l.total -= last.size - good
	last.size = good
	return f.Sync()
}

// validPrefix is the length of f's leading whole entries.
func validPrefix(f *os.File, size int64) (int64, error) {
	var off int64
	var header [headerSize]byte
	for off+headerSize <= size {
		if _, err := f.ReadAt(header[:], off); err != nil {
			return 0, fmt.Errorf("read spill segment: %w", err)
		}
		n := int64(binary.LittleEndian.Uint32(header[:4]))
		if off+headerSize+n > size {
			break
		}
		payload := make([]byte, n)
		if _, err := f.ReadAt(payload, off+headerSize); err != nil {
			return 0, fmt.Errorf("read spill segment: %w", err)
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(header[4:]) {
			break
		}
		off += headerSize + n
	}
	return off, nil
}

func (l *Log) startSegment(id uint64) error {
	f, err := os.OpenFile(l.path(id), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open spill segment: %w", err)
	}
	if l.f != nil {
		_ = l.f.Close()
	}
	l.f = f
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.segments); n == 0 || l.segments[n-1].id != id {
		l.segments = append(l.segments, segment{id: id})
	}
	return syncDir(l.dir)
}

// Append writes payloads as entries, in order, with one write and one
// fdatasync: when it returns nil they survive a crash. On an error none of
// them is in the log.
func (l *Log) Append(payloads [][]byte) error {
	if l.f == nil {
		return ErrClosed
	}
	size := int64(0)
	for _, p := range payloads {
		size += headerSize + int64(len(p))
	}
	l.mu.Lock()
	total, current := l.total, l.segments[len(l.segments)-1]
	l.mu.Unlock()
	if total+size > l.maxBytes {
		return ErrFull
	}
	if current.size > 0 && current.size+size > l.segmentSize {
		if err := l.startSegment(current.id + 1); err != nil {
			return err
		}
		current = segment{id: current.id + 1}
	}
	buf := make([]byte, 0, size)
	for _, p := range payloads {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(p))) // #nosec G115 -- a request's payload, far below 4 GiB
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(p, castagnoli))
		buf = append(buf, p...)
	}
	if _, err := l.f.Write(buf); err != nil {
		return l.undo(current, fmt.Errorf("write spill: %w", err))
	}
	if err := fdatasync(l.f); err != nil {
		return l.undo(current, fmt.Errorf("sync spill: %w", err))
	}
	l.mu.Lock()
	l.segments[len(l.segments)-1].size += size
	l.total += size
	l.mu.Unlock()
	return nil
}

// undo cuts a failed write off, so that the next append starts at the end
// of what is durable.
func (l *Log) undo(current segment, cause error) error {
	if err := l.f.Truncate(current.size); err != nil {
		return errors.Join(cause, fmt.Errorf("cut the failed write off: %w", err))
	}
	return cause
}

// Bytes is the size of the log on disk.
func (l *Log) Bytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Start is the position of the oldest entry kept.
func (l *Log) Start() Cursor {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Cursor{Segment: l.segments[0].id}
}

// End is the position after the last durable entry.
func (l *Log) End() Cursor {
	l.mu.Lock()
	defer l.mu.Unlock()
	last := l.segments[len(l.segments)-1]
	return Cursor{Segment: last.id, Offset: last.size}
}

// Read returns the durable entries from c on, up to about maxBytes of them
// (at least one), and the position after them. At the end of a segment it
// moves on to the next. On ErrCorrupt the position returned is the start
// of the next segment (the end of the one appended to): the rest of the bad
// one is skipped.
func (l *Log) Read(c Cursor, maxBytes int) ([][]byte, Cursor, error) {
	c, size, ok := l.resolve(c)
	if !ok || c.Offset >= size {
		return nil, c, nil
	}
	f, err := os.Open(l.path(c.Segment))
	if err != nil {
		return nil, c, fmt.Errorf("open spill segment: %w", err)
	}
	defer f.Close()
	r := io.NewSectionReader(f, c.Offset, size-c.Offset)
	var out [][]byte
	read := 0
	var header [headerSize]byte
	for read < maxBytes && c.Offset < size {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			return out, l.skip(c), fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		n := int(binary.LittleEndian.Uint32(header[:4]))
		if int64(n) > size-c.Offset-headerSize {
			return out, l.skip(c), fmt.Errorf("%w: length past the segment's end", ErrCorrupt)
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return out, l.skip(c), fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(header[4:]) {
			return out, l.skip(c), fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
		}
		out = append(out, payload)
		read += headerSize + n
		c.Offset += int64(headerSize + n)
	}
	if c.Offset >= size {
		// At the end of a finished segment the position is the next one's
		// start: Release may then delete this one.
		c, _, _ = l.resolve(c)
	}
	return out, c, nil
}

// resolve moves c past the ends of finished segments and returns the
// durable size of its segment.
func (l *Log) resolve(c Cursor) (Cursor, int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range l.segments {
		if s.id < c.Segment {
			continue
		}
		if s.id > c.Segment {
			c = Cursor{Segment: s.id}
		}
		if c.Offset >= s.size && i < len(l.segments)-1 {
			c = Cursor{Segment: l.segments[i+1].id}
			continue
		}
		return c, s.size, true
	}
	return c, 0, false
}

// skip is the start of the segment after c's, or, when c's is the one
// appended to, its end: what is appended later is read.
func (l *Log) skip(c Cursor) Cursor {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last := l.segments[len(l.segments)-1]; last.id == c.Segment {
		return Cursor{Segment: c.Segment, Offset: last.size}
	}
	return Cursor{Segment: c.Segment + 1}
}

// Release deletes the segments wholly before c: Kafka has every entry in
// them. The segment appended to is kept.
func (l *Log) Release(c Cursor) error {
	l.mu.Lock()
	var drop []segment
	for len(l.segments) > 1 && l.segments[0].id < c.Segment {
		drop = append(drop, l.segments[0])
		l.total -= l.segments[0].size
		l.segments = l.segments[1:]
	}
	l.mu.Unlock()
	for _, s := range drop {
		if err := os.Remove(l.path(s.id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("delete drained spill segment: %w", err)
		}
	}
	return nil
}

// Reset empties the log once every entry is in Kafka: the segment
// appended to is cut to nothing, so that the next spill starts afresh.
// Only the appender may call it (the exporter calls it with appends held).
func (l *Log) Reset() error {
	end := l.End()
	if err := l.Release(Cursor{Segment: end.Segment}); err != nil {
		return err
	}
	if end.Offset == 0 {
		return nil
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("empty the drained spill: %w", err)
	}
	l.mu.Lock()
	l.segments[len(l.segments)-1].size = 0
	l.total -= end.Offset
	l.mu.Unlock()
	return nil
}

// Close closes the segment appended to; appends fail after it.
func (l *Log) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

func syncDir(dir string) error {
	if err := durablefile.SyncDir(dir); err != nil {
		return fmt.Errorf("sync spill directory: %w", err)
	}
	return nil
}

// ErrClosed is returned for appends queued when the writer stopped, or
// made after Close.
var ErrClosed = errors.New("the spill is closed")
