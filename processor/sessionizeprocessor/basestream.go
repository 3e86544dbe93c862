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

	"github.com/footfall-analytics/footfall/internal/chunks"
	"github.com/footfall-analytics/footfall/internal/durablefile"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
)

// A base's sessions (and a memory written whole with it: memorylog.go) are
// written to their files while the owner encodes them, not once it has: the
// owner lays out what each step made final (core.Snapshot.Take) and hands
// it to the stream's goroutine, which writes it and lets it go. So a base is
// never whole in memory: what waits is what the owner encoded since the
// writer last caught up, and the sessions a site not yet reached copied on
// write. Held until the end, a base of a million sessions peaked at 576 MiB
// where the state takes 394 MiB (BenchmarkCheckpointPeakRSS).
//
// A site's part of the sessions file starts with its length, known once
// the site is encoded: its room is written as zeros and written again
// then. So each file's checksum is read back once it is whole, before it
// is synced and named.

// The parts a base stream may write, in the order of core.Pieces.
const (
	streamSessions = iota
	streamIDs
	streamVisitors
	streamParts
)

// streamPartNames name each part's file.
var streamPartNames = [streamParts]string{partSessions, partDedup, partVisitors}

// streamFile is one part's file.
type streamFile struct {
	name string
	file *durablefile.File
	// written is the file's length so far.
	written int64
	ref     baseFileRef
}

// baseStream writes a base's parts to their files in dir.
type baseStream struct {
	// files holds a file for each part written; nil for a memory whose
	// segment is not whole, which stays a value.
	files [streamParts]*streamFile

	mu      sync.Mutex
	queue   []core.Pieces
	ended   bool
	aborted bool
	wake    chan struct{}

	// done is closed once the files are named (or removed): the files'
	// refs, named and err are then the outcome.
	done  chan struct{}
	named []string
	err   error
}

// startBaseStream creates the files of the base of epoch in dir, the
// memory's for a memory written whole, and starts the goroutine that
// writes them.
func startBaseStream(dir string, epoch int64, memory core.Memory) (*baseStream, error) {
	bs := &baseStream{wake: make(chan struct{}, 1), done: make(chan struct{})}
	for i, written := range [streamParts]bool{true, memory.WholeIDs, memory.WholeVisitors} {
		if !written {
			continue
		}
		name := baseFileName(epoch, streamPartNames[i])
		f, err := durablefile.Create(dir, name)
		if err != nil {
			bs.abortFiles()
			return nil, fmt.Errorf("create checkpoint base file: %w", err)
		}
		bs.files[i] = &streamFile{name: name, file: f}
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

// end tells the writer that nothing more comes: it finishes the file.
func (bs *baseStream) end() {
	bs.mu.Lock()
	bs.ended = true
	bs.mu.Unlock()
	bs.notify()
}

// abort tells the writer to remove the file rather than name it.
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

// run writes what is pushed until the end, then names the file.
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
	for i, part := range [streamParts][]chunks.Piece{pieces.Sessions, pieces.IDs, pieces.Visitors} {
		for _, piece := range part {
			if bs.err != nil {
				return
			}
			f := bs.files[i]
			if _, err := f.file.WriteAt(piece.Data, piece.Offset); err != nil {
				bs.err = fmt.Errorf("write checkpoint base file: %w", err)
				return
			}
			f.written = max(f.written, piece.Offset+int64(len(piece.Data)))
			chunks.Recycle(piece.Data)
		}
	}
}

// finish checks, syncs and names each file, or removes them all.
func (bs *baseStream) finish() {
	for _, f := range bs.files {
		if bs.err != nil || f == nil {
			continue
		}
		crc := crc32.New(castagnoli)
		if _, err := io.Copy(crc, io.NewSectionReader(f.file, 0, f.written)); err != nil {
			bs.err = fmt.Errorf("read checkpoint base file back: %w", err)
			continue
		}
		f.ref = baseFileRef{name: f.name, size: f.written, crc: crc.Sum32()}
	}
	if bs.err != nil {
		bs.abortFiles()
		return
	}
	for _, f := range bs.files {
		if f == nil {
			continue
		}
		file := f.file
		f.file = nil
		if err := file.Commit(); err != nil {
			bs.err = fmt.Errorf("write checkpoint base file %s: %w", f.name, err)
			bs.abortFiles()
			return
		}
		bs.named = append(bs.named, f.name)
	}
}

// abortFiles removes the files not named yet.
func (bs *baseStream) abortFiles() {
	for _, f := range bs.files {
		if f != nil && f.file != nil {
			f.file.Abort()
			f.file = nil
		}
	}
}

// wait returns the references to the written files, by part (nil for a
// part not in a file), the files named (also on an error, for the caller
// to remove) and their bytes. A deadline that passes first abandons the
// base: the writer removes what it has not named once the write under way
// returns, which wait waits for, so that no file of this base is named
// after the caller moved on (the next base may have the same epoch, and so
// the same names).
func (bs *baseStream) wait(ctx context.Context) (refs [streamParts]*baseFileRef, names []string, written int64, err error) {
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
			return refs, bs.named, 0, fmt.Errorf("write checkpoint base files: %w", ctx.Err())
		}
	}
	if bs.err != nil {
		return refs, bs.named, 0, bs.err
	}
	for i, f := range bs.files {
		if f != nil {
			refs[i] = &f.ref
			written += f.ref.size
		}
	}
	return refs, bs.named, written, nil
}
