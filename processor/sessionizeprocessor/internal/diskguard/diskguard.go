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
	"sync/atomic"
)

// MinReserve is the least room kept when it is derived from checkpoints.
const MinReserve = 64 << 20

// ErrLow refuses a write that would leave less than the reserve free.
var ErrLow = errors.New("the disk of the write-ahead log is nearly full")

// Guard is safe for concurrent use.
type Guard struct {
	dir string
	// minFree is the configured reserve; 0 derives it from checkpoints.
	minFree int64
	free    func(dir string) (int64, error)
	// lastCheckpoint is the size of the last checkpoint written.
	lastCheckpoint atomic.Int64
}

// New watches the filesystem of dir, keeping minFree bytes free (0: twice
// the last checkpoint's size, at least MinReserve). free reads a
// filesystem's free bytes; nil uses the operating system's.
func New(dir string, minFree int64, free func(dir string) (int64, error)) *Guard {
	if free == nil {
		free = freeBytes
	}
	return &Guard{dir: dir, minFree: minFree, free: free}
}

// Reserve is the room kept free for checkpoints.
func (g *Guard) Reserve() int64 {
	if g.minFree > 0 {
		return g.minFree
	}
	return max(MinReserve, 2*g.lastCheckpoint.Load())
}

// Admit reports whether n more bytes leave the reserve free: an error
// wrapping ErrLow when they would not. A filesystem whose free space cannot
// be read admits everything: the write itself then says what is wrong.
func (g *Guard) Admit(n int) error {
	free, err := g.free(g.dir)
	if err != nil {
		return nil
	}
	if reserve := g.Reserve(); free-int64(n) < reserve {
		return fmt.Errorf("%w: %d bytes free, %d kept for checkpoints", ErrLow, free, reserve)
	}
	return nil
}

// CheckpointWritten records the size of a checkpoint just written: the
// next one is about as large, and must always find room.
func (g *Guard) CheckpointWritten(bytes int64) { g.lastCheckpoint.Store(bytes) }

// Free is the filesystem's free bytes now, for the gauge.
func (g *Guard) Free() (int64, error) { return g.free(g.dir) }
