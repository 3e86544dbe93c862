// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package spill // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/spill"

import (
	"errors"
	"sync"
)

// maxGroupBytes bounds one group commit.
const maxGroupBytes = 8 << 20

type pending struct {
	payload []byte
	done    chan error
}

// Writer group-commits appends: whatever arrives while one write and fsync
// run goes in the next, so that a full spill costs one fsync per group, not
// one per request. One goroutine owns the log's appends.
type Writer struct {
	log    *Log
	mu     sync.Mutex
	queue  []pending
	queued int
	// busy counts the appends queued or being written.
	busy   int
	wake   chan struct{}
	done   chan struct{}
	closed chan struct{}
	// Appended is signalled (without blocking) after each durable group.
	Appended chan struct{}
}

// NewWriter starts the goroutine that appends to log.
func NewWriter(log *Log) *Writer {
	w := &Writer{log: log, wake: make(chan struct{}, 1), done: make(chan struct{}), closed: make(chan struct{}), Appended: make(chan struct{}, 1)}
	go w.run()
	return w
}

// Enqueue queues payload for the next group. The returned channel gets nil
// once it is durable, or the error that kept it out of the log. The order
// of Enqueue calls is the order in the log.
func (w *Writer) Enqueue(payload []byte) <-chan error {
	done := make(chan error, 1)
	w.mu.Lock()
	w.queue = append(w.queue, pending{payload: payload, done: done})
	w.queued += len(payload)
	w.busy++
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return done
}

// Idle reports whether no append is queued or being written.
func (w *Writer) Idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.busy == 0
}

func (w *Writer) run() {
	defer close(w.closed)
	for {
		select {
		case <-w.done:
			w.failQueued()
			return
		case <-w.wake:
		}
		for w.writeGroup() {
		}
	}
}

// writeGroup appends what is queued, up to maxGroupBytes, and reports
// whether more is waiting.
func (w *Writer) writeGroup() bool {
	w.mu.Lock()
	n, size := 0, 0
	for n < len(w.queue) && (n == 0 || size+len(w.queue[n].payload) <= maxGroupBytes) {
		size += len(w.queue[n].payload)
		n++
	}
	group := w.queue[:n:n]
	w.queue = w.queue[n:]
	w.queued -= size
	w.mu.Unlock()
	if n == 0 {
		return false
	}
	payloads := make([][]byte, n)
	for i, p := range group {
		payloads[i] = p.payload
	}
	err := w.log.Append(payloads)
	if errors.Is(err, ErrFull) && n > 1 {
		// The group as a whole does not fit: append what fits, one by one.
		w.appendEach(group)
	} else {
		for _, p := range group {
			p.done <- err
		}
	}
	w.mu.Lock()
	w.busy -= n
	more := len(w.queue) > 0
	w.mu.Unlock()
	select {
	case w.Appended <- struct{}{}:
	default:
	}
	return more
}

func (w *Writer) appendEach(group []pending) {
	for _, p := range group {
		p.done <- w.log.Append([][]byte{p.payload})
	}
}

func (w *Writer) failQueued() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.queue {
		p.done <- ErrClosed
	}
	w.busy -= len(w.queue)
	w.queue = nil
}

// Close stops the writer after the group being written; what is still
// queued fails with ErrClosed.
func (w *Writer) Close() {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	<-w.closed
}
