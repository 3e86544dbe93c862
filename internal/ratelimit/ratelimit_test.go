// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package ratelimit

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestBurstThenRefill(t *testing.T) {
	l := New(10, 20, 100, nil)
	ip := netip.MustParseAddr("198.51.100.1")

	ok, _ := l.Allow(ip, 20, t0)
	assert.True(t, ok, "a full bucket serves the burst")
	ok, wait := l.Allow(ip, 5, t0)
	assert.False(t, ok)
	assert.Equal(t, 500*time.Millisecond, wait, "5 tokens at 10/s")

	ok, _ = l.Allow(ip, 5, t0.Add(500*time.Millisecond))
	assert.True(t, ok, "refilled after the wait it announced")
	ok, _ = l.Allow(ip, 1, t0.Add(500*time.Millisecond))
	assert.False(t, ok)

	ok, _ = l.Allow(ip, 20, t0.Add(time.Hour))
	assert.True(t, ok, "refill is capped at burst")
	ok, _ = l.Allow(ip, 1, t0.Add(time.Hour))
	assert.False(t, ok)
}

func TestRefusedRequestTakesNothing(t *testing.T) {
	l := New(1, 10, 100, nil)
	ip := netip.MustParseAddr("198.51.100.1")
	ok, _ := l.Allow(ip, 11, t0)
	assert.False(t, ok)
	ok, _ = l.Allow(ip, 10, t0)
	assert.True(t, ok, "the refused request did not spend tokens")
}

func TestClientsAreIndependent(t *testing.T) {
	l := New(1, 1, 100, nil)
	a, b := netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")
	ok, _ := l.Allow(a, 1, t0)
	assert.True(t, ok)
	ok, _ = l.Allow(b, 1, t0)
	assert.True(t, ok)
	ok, _ = l.Allow(a, 1, t0)
	assert.False(t, ok)
}

func TestTableIsBoundedAndCountsEvictions(t *testing.T) {
	evicted := 0
	l := New(1, 1, 3, func() { evicted++ })
	for i := range 10 {
		l.Allow(netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}), 1, t0)
	}
	assert.Equal(t, 3, l.Len())
	assert.Equal(t, 7, evicted)
}

// Every address of an IPv6 /64 shares one bucket: rotating through the 2^64
// addresses of one's own prefix gives no fresh tokens. IPv4 clients are
// limited per address.
func TestIPv6ClientsShareTheirSlash64(t *testing.T) {
	l := New(1, 10, 100, nil)
	ok, _ := l.Allow(netip.MustParseAddr("2001:db8:1:2::1"), 10, t0)
	assert.True(t, ok)
	ok, _ = l.Allow(netip.MustParseAddr("2001:db8:1:2:ffff:ffff:ffff:fffe"), 1, t0)
	assert.False(t, ok, "same /64")
	ok, _ = l.Allow(netip.MustParseAddr("2001:db8:1:3::1"), 10, t0)
	assert.True(t, ok, "another /64 is another client")
	assert.Equal(t, 2, l.Len())

	ok, _ = l.Allow(netip.MustParseAddr("198.51.100.1"), 10, t0)
	assert.True(t, ok)
	ok, _ = l.Allow(netip.MustParseAddr("198.51.100.2"), 10, t0)
	assert.True(t, ok, "IPv4 is per address")
}

// Available looks without taking: it refills as Allow would, and a client
// never seen has a full bucket.
func TestAvailableTakesNothing(t *testing.T) {
	l := New(1, 2, 10, nil)
	client := netip.MustParseAddr("192.0.2.9")
	ok, _ := l.Available(client, 2, t0)
	assert.True(t, ok)
	assert.Zero(t, l.Len(), "looking adds no client")
	ok, _ = l.Allow(client, 2, t0)
	assert.True(t, ok)
	ok, wait := l.Available(client, 1, t0)
	assert.False(t, ok)
	assert.Equal(t, time.Second, wait)
	ok, _ = l.Available(client, 1, t0.Add(time.Second))
	assert.True(t, ok)
	ok, _ = l.Allow(client, 1, t0.Add(time.Second))
	assert.True(t, ok, "Available took nothing")
}
