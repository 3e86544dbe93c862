// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// writeAheadLog keeps each accepted batch until a checkpoint covers it: in
// segment files (wal_directory), or under keys of the storage extension.
// The state owner drives it; an entry is done once every event of its
// batch has been placed, and the checkpoint that records that releases it.
type writeAheadLog interface {
	// append makes entries durable, in order: when it returns nil they
	// survive a crash.
	append(ctx context.Context, entries []wal.Entry) error
	// replay calls visit with the retained entries, then with every entry
	// from from on, oldest first. An entry visit cannot decode is moved
	// aside (quarantine) and replay goes on.
	replay(ctx context.Context, retained []uint64, from uint64, visit func(wal.Entry) error) error
	// release returns the storage operations, written with a checkpoint,
	// that delete the entries in done.
	release(done []uint64) []*storage.Operation
	// truncate drops what a written checkpoint made unnecessary: every
	// entry before oldest.
	truncate(oldest uint64) error
	// maxEntryBytes is the largest entry append takes.
	maxEntryBytes() int
	close() error
}

// quarantineFunc moves an entry that cannot be decoded aside.
type quarantineFunc func(ctx context.Context, seq uint64, data []byte, cause error) error

// storageWAL keeps entries under wal/<seq> in the storage extension, one
// transaction per group.
type storageWAL struct {
	client     storage.Client
	quarantine quarantineFunc
}

func (w *storageWAL) append(ctx context.Context, entries []wal.Entry) error {
	ops := make([]*storage.Operation, len(entries))
	for i, e := range entries {
		value := make([]byte, 0, e.Size())
		ops[i] = storage.SetOperation(walKey(e.Seq), append(append(value, e.Head...), e.Data...))
	}
	return w.client.Batch(ctx, ops...)
}

func (w *storageWAL) replay(ctx context.Context, retained []uint64, from uint64, visit func(wal.Entry) error) error {
	for _, seq := range retained {
		if _, err := w.visit(ctx, seq, visit); err != nil {
			return err
		}
	}
	for seq := from; ; seq++ {
		found, err := w.visit(ctx, seq, visit)
		if err != nil || !found {
			return err
		}
	}
}

func (w *storageWAL) visit(ctx context.Context, seq uint64, visit func(wal.Entry) error) (bool, error) {
	data, err := w.client.Get(ctx, walKey(seq))
	if err != nil {
		return false, fmt.Errorf("read write-ahead entry %d: %w", seq, err)
	}
	if data == nil {
		return false, nil
	}
	if err := visit(wal.Entry{Seq: seq, Data: data}); err != nil {
		return true, quarantineUnless(ctx, w.quarantine, seq, data, err)
	}
	return true, nil
}

func (*storageWAL) release(done []uint64) []*storage.Operation {
	ops := make([]*storage.Operation, len(done))
	for i, seq := range done {
		ops[i] = storage.DeleteOperation(walKey(seq))
	}
	return ops
}

func (*storageWAL) truncate(uint64) error { return nil }

// maxEntryBytes: bbolt takes values of up to 2 GiB; the receiver's body
// limit comes long before.
func (*storageWAL) maxEntryBytes() int { return math.MaxInt32 }

// close leaves the client to the processor: checkpoints use it too.
func (*storageWAL) close() error { return nil }

// segmentWAL keeps entries in segment files: one write and one fsync per
// group, and whole segments deleted once a checkpoint covers them. The
// writer appends while the owner may truncate after a checkpoint: mu
// orders the two.
//
// Deleting a segment frees its blocks, which takes tens of milliseconds on
// some filesystems (25-30 ms a segment in the benchmark's paced run, twice
// after each checkpoint): done on the owner, every ack waited for it. So
// truncate only lets go of the segments, and a remover goroutine deletes
// their files; a request waiting for it is replaced by a newer one, which
// deletes what both would.
type segmentWAL struct {
	mu         sync.Mutex
	log        *wal.Log
	quarantine quarantineFunc
	logger     *zap.Logger
	// deletes holds the segment before which the files may go, for the
	// remover; removerDone closes when it has ended.
	deletes     chan int
	removerDone chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

func openSegmentWAL(dir string, segmentSize int, quarantine quarantineFunc, logger *zap.Logger) (*segmentWAL, error) {
	log, err := wal.Open(dir, segmentSize)
	if err != nil {
		return nil, err
	}
	return newSegmentWAL(log, quarantine, logger, log.DeleteBefore), nil
}

// newSegmentWAL starts log's remover, which deletes files with
// deleteBefore.
func newSegmentWAL(log *wal.Log, quarantine quarantineFunc, logger *zap.Logger, deleteBefore func(kept int) error) *segmentWAL {
	w := &segmentWAL{log: log, quarantine: quarantine, logger: logger, deletes: make(chan int, 1), removerDone: make(chan struct{})}
	go w.removeReleased(deleteBefore)
	return w
}

// removeReleased deletes the files of released segments until the log
// closes. A failure is retried by the next request: each deletes every
// file before its segment.
func (w *segmentWAL) removeReleased(deleteBefore func(kept int) error) {
	defer close(w.removerDone)
	for kept := range w.deletes {
		if err := deleteBefore(kept); err != nil {
			w.logger.Warn("Deleting write-ahead segments a checkpoint covers failed; the next checkpoint tries again", zap.Error(err))
		}
	}
}

func (w *segmentWAL) append(_ context.Context, entries []wal.Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Append(entries)
}

// replay reads the segments through once: entries are in sequence order,
// so the retained ones (all before from) come first.
func (w *segmentWAL) replay(ctx context.Context, retained []uint64, from uint64, visit func(wal.Entry) error) error {
	keep := make(map[uint64]bool, len(retained))
	for _, seq := range retained {
		keep[seq] = true
	}
	repaired, err := w.log.Replay(func(e wal.Entry) error {
		if e.Seq < from && !keep[e.Seq] {
			return nil
		}
		// The reader reuses its buffer; decoded batches outlive it.
		e.Data = bytes.Clone(e.Data)
		if err := visit(e); err != nil {
			return quarantineUnless(ctx, w.quarantine, e.Seq, e.Data, err)
		}
		return nil
	})
	if repaired != nil {
		// A torn tail is the write a crash interrupted: it was never
		// acknowledged, so nothing accepted is lost.
		w.logger.Warn("The write-ahead log ended in a torn write (a crash during an append that was not acknowledged); it was cut off", zap.Error(repaired))
	}
	return err
}

func (*segmentWAL) release([]uint64) []*storage.Operation { return nil }

// truncate lets go of the segments the checkpoint covers and asks the
// remover to delete them; it does not wait for the disk.
func (w *segmentWAL) truncate(oldest uint64) error {
	w.mu.Lock()
	kept, ok := w.log.Release(oldest)
	w.mu.Unlock()
	if !ok {
		return nil
	}
	// Only the owner sends: once a waiting (older) request is taken back,
	// the send cannot block.
	select {
	case w.deletes <- kept:
	default:
		select {
		case <-w.deletes:
		default:
		}
		w.deletes <- kept
	}
	return nil
}

func (w *segmentWAL) maxEntryBytes() int { return w.log.MaxEntryBytes() }

// close lets the remover finish the deletes asked for, then closes the
// log. It runs once: a failed start and a shutdown may both ask.
func (w *segmentWAL) close() error {
	w.closeOnce.Do(func() {
		close(w.deletes)
		<-w.removerDone
		w.mu.Lock()
		defer w.mu.Unlock()
		w.closeErr = w.log.Close()
	})
	return w.closeErr
}

func walKey(seq uint64) string { return fmt.Sprintf("wal/%016x", seq) }

var protoMarshaler = &plog.ProtoMarshaler{}

// walEntrySize is the size of b's write-ahead entry.
func walEntrySize(b *batch) int {
	return 1 + binary.MaxVarintLen64 + (len(b.inputs)+7)/8 + len(b.wal)
}

// walHeader is the head of b's write-ahead entry: version, record count
// and accepted bitmap. The records follow as compressed OTLP
// (recordcodec.go), or where they
// can be read again (b.byRef) (b.wal), written after it by the log without
// a copy joining the two.
func walHeader(b *batch) []byte {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+(len(b.accepted)+7)/8)
	out = append(out, walVersionCompressed)
	if b.byRef {
		out[0] = walVersionByRef
	}
	out = binary.AppendUvarint(out, uint64(len(b.accepted)))
	bitmap := len(out)
	out = append(out, make([]byte, (len(b.accepted)+7)/8)...)
	for i, ok := range b.accepted {
		if ok {
			out[bitmap+i/8] |= 1 << (i % 8)
		}
	}
	return out
}

// decodeWAL reads a write-ahead entry back into its batch. An entry that
// holds a reference has its records read again from their log: an error
// that log may not give when asked again is an unavailableError, which
// fails the restore rather than moving the entry aside.
func (p *sessionizeProcessor) decodeWAL(ctx context.Context, seq uint64, data []byte) (*batch, error) {
	if len(data) == 0 || (data[0] != walVersion && data[0] != walVersionCompressed && data[0] != walVersionByRef) {
		return nil, fmt.Errorf("write-ahead entry %d: unknown version", seq)
	}
	count, n := binary.Uvarint(data[1:])
	if n <= 0 || count > maxBatchRecords {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: bad record count", seq)
	}
	rest := data[1+n:]
	bitmapLen := int((count + 7) / 8)
	if len(rest) < bitmapLen {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: short bitmap", seq)
	}
	ld, err := p.entryRecords(ctx, seq, data[0], rest[bitmapLen:])
	if err != nil {
		return nil, err
	}
	// The records were corrected and validated before they were written,
	// or are read again as they came: reading them gives the same inputs.
	// They were counted then, so they are not counted again.
	b, _, _ := p.reader.quiet().read(ld)
	if uint64(len(b.inputs)) != count {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: %d records for %d marks", seq, len(b.inputs), count)
	}
	b.seq = seq
	if data[0] == walVersionCompressed {
		// Kept, so that a batch still held after the restore holds this
		// and not its pdata (held.go). The entry's bytes are the log's.
		b.wire = bytes.Clone(rest[bitmapLen:])
	}
	b.accepted = make([]bool, count)
	for i := range b.accepted {
		b.accepted[i] = rest[i/8]&(1<<(i%8)) != 0
	}
	b.logged = true
	return b, nil
}

// entryRecords returns the records of an entry: decoded from it, or read
// again from their log by the reference it holds.
func (p *sessionizeProcessor) entryRecords(ctx context.Context, seq uint64, version byte, records []byte) (plog.Logs, error) {
	switch version {
	case walVersion:
		ld, err := protoUnmarshaler.UnmarshalLogs(records)
		if err != nil {
			return plog.Logs{}, fmt.Errorf("write-ahead entry %d: %w", seq, err)
		}
		return ld, nil
	case walVersionCompressed:
		ld, err := p.state.records.decode(records)
		if err != nil {
			return plog.Logs{}, fmt.Errorf("write-ahead entry %d: %w", seq, err)
		}
		return ld, nil
	}
	if p.source == nil {
		return plog.Logs{}, fmt.Errorf("write-ahead entry %d refers to records in a log this storage cannot read", seq)
	}
	ld, err := p.source.ReadAgain(ctx, records)
	switch {
	case errors.Is(err, sourcelog.ErrGone):
		return plog.Logs{}, fmt.Errorf("write-ahead entry %d: %w", seq, err)
	case err != nil:
		return plog.Logs{}, &unavailableError{seq: seq, err: err}
	}
	return ld, nil
}

// unavailableError: an entry's records could not be read again from their
// log just now. The entry stays, and the restore fails, to be tried again.
type unavailableError struct {
	seq uint64
	err error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("write-ahead entry %d: read its records again: %v", e.seq, e.err)
}

func (e *unavailableError) Unwrap() error { return e.err }

// quarantineUnless moves an entry that visit could not take aside, unless
// its records were only unavailable for now: that error ends the replay.
func quarantineUnless(ctx context.Context, quarantine quarantineFunc, seq uint64, data []byte, err error) error {
	var unavailable *unavailableError
	if errors.As(err, &unavailable) {
		return err
	}
	return quarantine(ctx, seq, data, err)
}
