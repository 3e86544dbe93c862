// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/testclock"
)

type counts struct{ connected, disconnected, refused, dropped atomic.Int64 }

func (c *counts) hooks() Hooks {
	return Hooks{
		Connected:    func() { c.connected.Add(1) },
		Disconnected: func() { c.disconnected.Add(1) },
		Refused:      func() { c.refused.Add(1) },
		Dropped:      func() { c.dropped.Add(1) },
	}
}

// client reads events from the stream.
type client struct {
	resp   *http.Response
	reader *bufio.Reader
	cancel context.CancelFunc
}

func connect(t *testing.T, url, lastEventID string) (*client, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		cancel()
		return nil, resp.StatusCode
	}
	c := &client{resp: resp, reader: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(c.close)
	return c, resp.StatusCode
}

func (c *client) close() {
	c.cancel()
	_ = c.resp.Body.Close()
}

// next returns the id and data of the next event, skipping comments and the
// retry line.
func (c *client) next(t *testing.T) (id, data string) {
	t.Helper()
	for {
		line, err := c.reader.ReadString('\n')
		require.NoError(t, err)
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && data != "":
			return id, data
		}
	}
}

func TestStreamsTheLatestSnapshot(t *testing.T) {
	var c counts
	hub := NewHub(4, 10*time.Millisecond, 5*time.Second, c.hooks())
	hub.Publish(1, []byte(`{"seq":1}`))
	srv := httptest.NewServer(hub)
	// Registered first, so it runs after the clients' cleanups: Close waits
	// for the streams' handlers, which end when their clients go.
	t.Cleanup(srv.Close)

	cl, status := connect(t, srv.URL, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "text/event-stream", cl.resp.Header.Get("Content-Type"))
	id, data := cl.next(t)
	assert.Equal(t, "1", id)
	assert.JSONEq(t, `{"seq":1}`, data, "a new client gets the latest snapshot at once")

	hub.Publish(2, []byte(`{"seq":2}`))
	hub.Publish(3, []byte(`{"seq":3}`))
	id, data = cl.next(t)
	assert.Equal(t, "3", id, "a client that was not ready gets the latest, not a backlog")
	assert.JSONEq(t, `{"seq":3}`, data)

	// Reconnecting with the id it has, a client waits for the next one.
	resumed, _ := connect(t, srv.URL, "3")
	hub.Publish(4, []byte(`{"seq":4}`))
	id, _ = resumed.next(t)
	assert.Equal(t, "4", id, "Last-Event-ID resumes after what the client had")
	assert.EqualValues(t, 2, c.connected.Load())
}

func TestClientsAreBounded(t *testing.T) {
	var c counts
	hub := NewHub(2, time.Millisecond, 5*time.Second, c.hooks())
	hub.Publish(1, []byte(`{}`))
	srv := httptest.NewServer(hub)
	// Registered first, so it runs after the clients' cleanups: Close waits
	// for the streams' handlers, which end when their clients go.
	t.Cleanup(srv.Close)
	first, _ := connect(t, srv.URL, "")
	connect(t, srv.URL, "")
	_, status := connect(t, srv.URL, "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.EqualValues(t, 1, c.refused.Load())

	first.close()
	require.Eventually(t, func() bool { return c.disconnected.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	_, status = connect(t, srv.URL, "")
	assert.Equal(t, http.StatusOK, status, "a place frees when a client leaves")
}

// A client that stops reading is dropped once a write cannot finish within
// the write timeout; it never holds more than the latest snapshot.
func TestSlowClientIsDropped(t *testing.T) {
	var c counts
	hub := NewHub(4, time.Millisecond, 200*time.Millisecond, c.hooks())
	srv := httptest.NewServer(hub)
	// Registered first, so it runs after the clients' cleanups: Close waits
	// for the streams' handlers, which end when their clients go.
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.connected.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	// Snapshots far larger than the socket buffers, and nobody reading.
	big := bytes.Repeat([]byte("x"), 8<<20)
	for seq := uint64(1); c.dropped.Load() == 0; seq++ {
		hub.Publish(seq, big)
		time.Sleep(20 * time.Millisecond)
		require.Less(t, seq, uint64(500), "the slow client was never dropped")
	}
	require.Eventually(t, func() bool { return c.disconnected.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
}

func TestCloseEndsStreams(t *testing.T) {
	var c counts
	hub := NewHub(4, time.Millisecond, time.Second, c.hooks())
	srv := httptest.NewServer(hub)
	// Registered first, so it runs after the clients' cleanups: Close waits
	// for the streams' handlers, which end when their clients go.
	t.Cleanup(srv.Close)
	connect(t, srv.URL, "")
	hub.Close()
	require.Eventually(t, func() bool { return c.disconnected.Load() == 1 }, 5*time.Second, 10*time.Millisecond)
	_, status := connect(t, srv.URL, "")
	assert.Equal(t, http.StatusServiceUnavailable, status)
}

// However often snapshots come, a client gets at most one per interval:
// an event due sooner waits out the rest of the interval, on the hub's
// clock (a fake one here), and then carries the latest snapshot.
func TestAtMostOneEventPerInterval(t *testing.T) {
	var c counts
	const interval = 150 * time.Millisecond
	clock := testclock.New(time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	waits := make(chan time.Duration, 1)
	fire := make(chan time.Time)
	hub := NewHub(4, interval, 5*time.Second, c.hooks())
	hub.now = clock.Now
	hub.after = func(d time.Duration) <-chan time.Time {
		waits <- d
		return fire
	}
	srv := httptest.NewServer(hub)
	t.Cleanup(srv.Close)
	hub.Publish(1, []byte(`{"n":1}`))
	cl, _ := connect(t, srv.URL, "")
	id, _ := cl.next(t)
	assert.Equal(t, "1", id, "the first event goes at once")

	clock.Set(clock.Now().Add(10 * time.Millisecond))
	hub.Publish(2, []byte(`{"n":2}`))
	hub.Publish(3, []byte(`{"n":3}`))
	assert.Equal(t, interval-10*time.Millisecond, <-waits, "the stream waits out the rest of the interval")
	clock.Set(clock.Now().Add(interval))
	fire <- clock.Now()
	id, data := cl.next(t)
	assert.Equal(t, "3", id, "then sends the latest snapshot, not each one")
	assert.JSONEq(t, `{"n":3}`, data)

	clock.Set(clock.Now().Add(interval))
	hub.Publish(4, []byte(`{"n":4}`))
	id, _ = cl.next(t)
	assert.Equal(t, "4", id, "a snapshot after a quiet interval goes at once")
	assert.Empty(t, waits, "without waiting")
}
