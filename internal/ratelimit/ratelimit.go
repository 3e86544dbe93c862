// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package ratelimit keeps one token bucket per client address in a table of
// bounded size, so that one noisy client cannot starve the others and a flood
// of distinct addresses cannot exhaust memory. The intake limits events with
// it, the live view failed logins.
package ratelimit // import "github.com/footfall-analytics/footfall/internal/ratelimit"

import (
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

type bucket struct {
	tokens float64
	last   time.Time
}

// Limiter is safe for concurrent use.
type Limiter struct {
	rate  float64
	burst float64

	mu      sync.Mutex
	buckets *simplelru.LRU[netip.Addr, *bucket]
}

// New returns a limiter refilling rate tokens per second up to burst, for at
// most maxClients addresses; onEvict is called (under the limiter's lock, so it
// must not call back into the limiter) for each address dropped from a full table.
func New(rate float64, burst, maxClients int, onEvict func()) *Limiter {
	buckets, err := simplelru.NewLRU[netip.Addr, *bucket](maxClients, func(netip.Addr, *bucket) {
		if onEvict != nil {
			onEvict()
		}
	})
	if err != nil {
		// Only a non-positive size fails, and Config.Validate refuses those.
		panic(err)
	}
	return &Limiter{rate: rate, burst: float64(burst), buckets: buckets}
}

// Allow takes n tokens from the client's bucket at time now when it holds that
// many. Otherwise it takes nothing and says how long until it will.
func (l *Limiter) Allow(client netip.Addr, n int, now time.Time) (bool, time.Duration) {
	need := float64(n)
	key := bucketKey(client)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets.Add(key, b)
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens >= need {
		b.tokens -= need
		return true, 0
	}
	wait := time.Duration((need - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// bucketKey is the address an IPv4 client is limited by, or the /64 of an
// IPv6 client: one subscriber line or host gets a /64, and every address in
// it is theirs to use.
func bucketKey(client netip.Addr) netip.Addr {
	if client.Is6() && !client.Is4In6() {
		p, err := client.Prefix(64)
		if err == nil {
			return p.Addr()
		}
	}
	return client
}

// Available reports whether the client's bucket holds n tokens at time now,
// taking nothing; when it does not, how long until it will.
func (l *Limiter) Available(client netip.Addr, n int, now time.Time) (bool, time.Duration) {
	key := bucketKey(client)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Peek(key)
	if !ok {
		return l.burst >= float64(n), 0
	}
	tokens := b.tokens
	if elapsed := now.Sub(b.last); elapsed > 0 {
		tokens = math.Min(l.burst, tokens+elapsed.Seconds()*l.rate)
	}
	if tokens >= float64(n) {
		return true, 0
	}
	return false, time.Duration((float64(n) - tokens) / l.rate * float64(time.Second))
}

// Len is the number of clients tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buckets.Len()
}
