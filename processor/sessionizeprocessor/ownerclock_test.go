// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// ownerClock is the fake wall clock a harness hands the processor. It
// remembers when the owner's tick timer is due, so that a test's tick can
// check it really fires one: a tick the timer would not see passes
// silently otherwise.
type ownerClock struct {
	*clockwork.FakeClock
	mu  sync.Mutex
	due time.Time
}

func newOwnerClock(now time.Time) *ownerClock {
	return &ownerClock{FakeClock: clockwork.NewFakeClockAt(now)}
}

// NewTimer is the owner's tick timer: the processor arms no other.
func (c *ownerClock) NewTimer(d time.Duration) clockwork.Timer {
	c.armed(d)
	return &ownerTimer{Timer: c.FakeClock.NewTimer(d), clock: c}
}

func (c *ownerClock) armed(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.due = c.Now().Add(d)
}

// dueAt is when the owner's timer fires next.
func (c *ownerClock) dueAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.due
}

// set moves the clock on to now.
func (c *ownerClock) set(now time.Time) {
	c.Advance(now.Sub(c.Now()))
}

type ownerTimer struct {
	clockwork.Timer
	clock *ownerClock
}

func (t *ownerTimer) Reset(d time.Duration) bool {
	t.clock.armed(d)
	return t.Timer.Reset(d)
}
