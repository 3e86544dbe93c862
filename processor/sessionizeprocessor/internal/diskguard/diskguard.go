// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package diskguard keeps room on the disk of the write-ahead log for the
// checkpoint that truncates it. Without it a full disk is survived but not
// recovered from: once space is freed while traffic goes on, appends refill
// it before a checkpoint can be written, so the log is never truncated.
// Kafka (log.dir free space) and Elasticsearch (disk watermarks) stop
// writes the same way, before the disk is full.
package diskguard // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/diskguard"

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// MinReserve is the least room kept when it is derived from checkpoints.
const MinReserve = 64 << 20

// ErrLow refuses a write that would leave less than the reserve free.
var ErrLow = errors.New("the disk of the write-ahead log is nearly full")

// readingMaxAge is how long a reading of the free space stands in for a
// new one while the writes admitted since take less than half the room
// above the reserve: a group of writes is admitted without a statfs call
// (1-2% of the CPU under single-event requests, one call per group), and
// another writer on the filesystem would have to fill the other half
// within this long to reach the reserve.
const readingMaxAge = 100 * time.Millisecond

// Guard is safe for concurrent use.
type Guard struct {
	dir string
	// minFree is the configured reserve; 0 derives it from checkpoints.
	minFree int64
	free    func(dir string) (int64, error)
	now     func() time.Time
	// lastCheckpoint is the size of the last checkpoint written.
	lastCheckpoint atomic.Int64

	mu sync.Mutex
	// last is the last reading of the free space.
	last reading
}

// reading is the free space read at a time, and the bytes admitted since.
type reading struct {
	free, admitted int64
	at             time.Time
}

// New watches the filesystem of dir, keeping minFree bytes free (0: twice
// the last checkpoint's size, at least MinReserve). free reads a
// filesystem's free bytes; nil uses the operating system's. now is the
// clock that ages a reading.
func New(dir string, minFree int64, free func(dir string) (int64, error), now func() time.Time) *Guard {
	if free == nil {
		free = freeBytes
	}
	return &Guard{dir: dir, minFree: minFree, free: free, now: now}
}

// Reserve is the room kept free for checkpoints.
func (g *Guard) Reserve() int64 {
	if g.minFree > 0 {
		return g.minFree
	}
	return max(MinReserve, 2*g.lastCheckpoint.Load())
}

// Admit reports whether n more bytes leave the reserve free: an error
// wrapping ErrLow when they would not. The free space is read again unless
// the last reading is younger than readingMaxAge and the bytes admitted
// since, n included, take at most half the room it left above the reserve.
// A filesystem whose free space cannot be read admits everything: the
// write itself then says what is wrong.
func (g *Guard) Admit(n int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	reserve, now := g.Reserve(), g.now()
	if g.last.covers(int64(n), reserve, now) {
		g.last.admitted += int64(n)
		return nil
	}
	free, err := g.free(g.dir)
	if err != nil {
		g.last = reading{}
		return nil
	}
	g.last = reading{free: free, at: now}
	if free-int64(n) < reserve {
		return fmt.Errorf("%w: %d bytes free, %d kept for checkpoints", ErrLow, free, reserve)
	}
	g.last.admitted = int64(n)
	return nil
}

// covers reports whether the reading still answers for n more bytes.
func (r reading) covers(n, reserve int64, now time.Time) bool {
	if r.at.IsZero() || now.Sub(r.at) >= readingMaxAge || now.Before(r.at) {
		return false
	}
	return 2*(r.admitted+n) <= r.free-reserve
}

// CheckpointWritten records the size of a checkpoint just written: the
// next one is about as large, and must always find room.
func (g *Guard) CheckpointWritten(bytes int64) { g.lastCheckpoint.Store(bytes) }

// Free is the filesystem's free bytes now, for the gauge.
func (g *Guard) Free() (int64, error) { return g.free(g.dir) }
