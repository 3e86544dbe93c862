// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/footfall-analytics/footfall/internal/chunks"
	"github.com/footfall-analytics/footfall/internal/durablefile"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
)

// A base's parts are written to their files while the owner encodes them,
// not once it has: the owner lays out what each step made final
// (core.Snapshot.Take) and hands it to the stream's goroutine, which writes
// it and lets it go. So a base is never whole in memory: what waits is
// what the owner encoded since the writer last caught up, and the sessions
// a site not yet reached copied on write. Held until the end, a base of a
// million sessions peaked at 576 MiB where the state takes 394 MiB
// (BenchmarkCheckpointPeakRSS).
//
// A site's part of the sessions file starts with its length, known once
// the site is encoded: its room is written as zeros and written again
// then. So each file's checksum is read back once it is whole, before it
// is synced and named.

// baseStream writes a base's three parts to their files in dir.
type baseStream struct {
	names [len(baseParts)]string
	files [len(baseParts)]*durablefile.File
	// written is each file's length so far.
	written [len(baseParts)]int64

	mu      sync.Mutex
	queue   []core.Pieces
	ended   bool
	aborted bool
	wake    chan struct{}

	// done is closed once the files are named (or removed): refs, named
	// and err are then the outcome.
	done  chan struct{}
	refs  [len(baseParts)]baseFileRef
	named []string
	err   error
}

// baseParts are a base's parts, in the order their files are written and
// named.
var baseParts = [...]struct{ key, part string }{
	{key: sessionsKey, part: partSessions},
	{key: dedupKey, part: partDedup},
	{key: visitorsKey, part: partVisitors},
}

// startBaseStream creates the files of the base of epoch in dir and starts
// the goroutine that writes them.
func startBaseStream(dir string, epoch int64) (*baseStream, error) {
	bs := &baseStream{wake: make(chan struct{}, 1), done: make(chan struct{})}
	for i, part := range baseParts {
		bs.names[i] = baseFileName(epoch, part.part)
		f, err := durablefile.Create(dir, bs.names[i])
		if err != nil {
			bs.abortFiles()
			return nil, fmt.Errorf("create checkpoint base file: %w", err)
		}
		bs.files[i] = f
	}
	go bs.run()
	return bs, nil
}

// push hands the owner's pieces to the writer; it never waits for it.
func (bs *baseStream) push(pieces core.Pieces) {
	bs.mu.Lock()
	bs.queue = append(bs.queue, pieces)
	bs.mu.Unlock()
	bs.notify()
}

// end tells the writer that nothing more comes: it finishes the files.
func (bs *baseStream) end() {
	bs.mu.Lock()
	bs.ended = true
	bs.mu.Unlock()
	bs.notify()
}

// abort tells the writer to remove the files rather than name them.
func (bs *baseStream) abort() {
	bs.mu.Lock()
	bs.ended, bs.aborted = true, true
	bs.mu.Unlock()
	bs.notify()
}

func (bs *baseStream) notify() {
	select {
	case bs.wake <- struct{}{}:
	default:
	}
}

// run writes what is pushed until the end, then names the files.
func (bs *baseStream) run() {
	defer close(bs.done)
	for range bs.wake {
		bs.mu.Lock()
		queue, ended, aborted := bs.queue, bs.ended, bs.aborted
		bs.queue = nil
		bs.mu.Unlock()
		for _, pieces := range queue {
			bs.write(pieces)
		}
		switch {
		case aborted:
			bs.err = errors.Join(bs.err, errors.New("the checkpoint was abandoned"))
			bs.abortFiles()
			return
		case ended:
			bs.finish()
			return
		}
	}
}

// write writes one handover's pieces; after an error it writes nothing.
func (bs *baseStream) write(pieces core.Pieces) {
	for i, part := range [...][]chunks.Piece{pieces.Sessions, pieces.IDs, pieces.Visitors} {
		for _, piece := range part {
			if bs.err != nil {
				return
			}
			if _, err := bs.files[i].WriteAt(piece.Data, piece.Offset); err != nil {
				bs.err = fmt.Errorf("write checkpoint base file: %w", err)
				return
			}
			bs.written[i] = max(bs.written[i], piece.Offset+int64(len(piece.Data)))
			chunks.Recycle(piece.Data)
		}
	}
}

// finish checks, syncs and names each file, or removes them all.
func (bs *baseStream) finish() {
	for i, f := range bs.files {
		if bs.err != nil {
			break
		}
		crc := crc32.New(castagnoli)
		if _, err := io.Copy(crc, io.NewSectionReader(f, 0, bs.written[i])); err != nil {
			bs.err = fmt.Errorf("read checkpoint base file back: %w", err)
			break
		}
		bs.refs[i] = baseFileRef{name: bs.names[i], size: bs.written[i], crc: crc.Sum32()}
	}
	if bs.err != nil {
		bs.abortFiles()
		return
	}
	for i, f := range bs.files {
		bs.files[i] = nil
		if err := f.Commit(); err != nil {
			bs.err = fmt.Errorf("write checkpoint base file %s: %w", bs.names[i], err)
			bs.abortFiles()
			return
		}
		bs.named = append(bs.named, bs.names[i])
	}
}

// abortFiles removes the files not named yet.
func (bs *baseStream) abortFiles() {
	for i, f := range bs.files {
		if f != nil {
			f.Abort()
			bs.files[i] = nil
		}
	}
}

// wait returns the operations that name the written files, the files
// named (also on an error, for the caller to remove) and their bytes. A
// deadline that passes first abandons the base: the writer removes what it
// has not named once the write under way returns, which wait waits for, so
// that no file of this base is named after the caller moved on (the next
// base may have the same epoch, and so the same names).
func (bs *baseStream) wait(ctx context.Context) (ops []*storage.Operation, names []string, written int64, err error) {
	if ctx.Err() == nil {
		bs.end()
		select {
		case <-bs.done:
		case <-ctx.Done():
		}
	}
	select {
	case <-bs.done:
	default:
		// The deadline passed first.
		bs.abort()
		<-bs.done
		if bs.err != nil {
			return nil, bs.named, 0, fmt.Errorf("write checkpoint base files: %w", ctx.Err())
		}
	}
	if bs.err != nil {
		return nil, bs.named, 0, bs.err
	}
	for i, ref := range bs.refs {
		ops = append(ops, storage.SetOperation(baseParts[i].key, ref.encode()))
		written += ref.size
	}
	return ops, bs.named, written, nil
}
