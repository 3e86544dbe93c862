// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package stream pushes the latest snapshot to dashboard clients as
// Server-Sent Events: a bounded number of clients, at most one event per
// interval each, and a client too slow to take an event within the write
// timeout is disconnected. Nothing queues per client but the latest
// snapshot, so a slow client costs no memory.
package stream // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/stream"

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Hooks count what the hub does, for the exporter's telemetry.
type Hooks struct {
	Connected, Disconnected, Refused, Dropped func()
}

// Hub fans the latest snapshot out to the connected clients.
type Hub struct {
	maxClients   int
	interval     time.Duration
	writeTimeout time.Duration
	keepAlive    time.Duration
	hooks        Hooks
	// now and after are the clock that spaces a client's events; tests
	// replace them.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time

	mu      sync.Mutex
	clients map[chan struct{}]struct{}
	seq     uint64
	latest  []byte
	closed  bool
	closing chan struct{}
}

// NewHub serves at most maxClients, each at most one event per interval.
func NewHub(maxClients int, interval, writeTimeout time.Duration, hooks Hooks) *Hub {
	noop := func() {}
	for _, f := range []*func(){&hooks.Connected, &hooks.Disconnected, &hooks.Refused, &hooks.Dropped} {
		if *f == nil {
			*f = noop
		}
	}
	return &Hub{
		maxClients: maxClients, interval: interval, writeTimeout: writeTimeout, keepAlive: 15 * time.Second,
		hooks: hooks, clients: map[chan struct{}]struct{}{}, closing: make(chan struct{}),
		now: time.Now, after: time.After,
	}
}

// Publish makes data (one JSON document, no newlines) the latest snapshot,
// numbered seq, and wakes every client.
func (h *Hub) Publish(seq uint64, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq, h.latest = seq, data
	for wake := range h.clients {
		select {
		case wake <- struct{}{}:
		default: // already woken: it will read the latest
		}
	}
}

// Latest returns the latest snapshot and its number.
func (h *Hub) Latest() (uint64, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq, h.latest
}

// Close ends every stream.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
}

var errTooManyClients = errors.New("too many dashboard clients")

func (h *Hub) join() (chan struct{}, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.clients) >= h.maxClients {
		return nil, errTooManyClients
	}
	wake := make(chan struct{}, 1)
	h.clients[wake] = struct{}{}
	return wake, nil
}

func (h *Hub) leave(wake chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, wake)
}

// ServeHTTP streams snapshots. A client that reconnects with Last-Event-ID
// gets the latest snapshot at once unless it has it already.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wake, err := h.join()
	if err != nil {
		h.hooks.Refused()
		w.Header().Set("Retry-After", "5")
		http.Error(w, fmt.Sprintf("%v: at most %d at a time", err, h.maxClients), http.StatusServiceUnavailable)
		return
	}
	h.hooks.Connected()
	defer func() {
		h.leave(wake)
		h.hooks.Disconnected()
	}()

	rc := http.NewResponseController(w)
	// The server's read_timeout bounds how long a client may take to send
	// its request; a stream outlives it, and the read deadline would end
	// the stream's context when it passed.
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if !h.write(rc, w, []byte("retry: 2000\n\n")) {
		return
	}
	sent, _ := strconv.ParseUint(r.Header.Get("Last-Event-ID"), 10, 64)
	if seq, _ := h.Latest(); seq > sent {
		// Not a plain send: a Publish since join may have filled the
		// channel already, and a blocked send would stall this stream.
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var lastSend time.Time
	keepAlive := time.NewTicker(h.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.closing:
			return
		case <-keepAlive.C:
			if !h.write(rc, w, []byte(": keep-alive\n\n")) {
				return
			}
		case <-wake:
			if seq, _ := h.Latest(); seq <= sent {
				continue // a wake for what was sent already: no wait, no event
			}
			if wait := h.interval - h.now().Sub(lastSend); wait > 0 {
				select {
				case <-h.after(wait):
				case <-r.Context().Done():
					return
				case <-h.closing:
					return
				}
			}
			seq, data := h.Latest()
			if seq <= sent {
				continue
			}
			event := fmt.Appendf(nil, "id: %d\nevent: snapshot\ndata: %s\n\n", seq, data)
			// The time is read before the write: once the client has the
			// event, the clock may move on (a test's does at once).
			at := h.now()
			if !h.write(rc, w, event) {
				return
			}
			sent, lastSend = seq, at
		}
	}
}

// write sends b within the write timeout; a client that cannot take it is
// dropped.
func (h *Hub) write(rc *http.ResponseController, w http.ResponseWriter, b []byte) bool {
	_ = rc.SetWriteDeadline(time.Now().Add(h.writeTimeout))
	if _, err := w.Write(b); err != nil {
		h.hooks.Dropped()
		return false
	}
	if err := rc.Flush(); err != nil {
		h.hooks.Dropped()
		return false
	}
	return true
}
