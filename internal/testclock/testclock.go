// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package testclock is a wall clock that tests set by hand. Components take
// a now func; tests pass Clock.Now and move time with Set.
package testclock // import "github.com/footfall-analytics/footfall/internal/testclock"

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock showing now.
func New(now time.Time) *Clock { return &Clock{now: now} }

// Now is the time last set.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to now.
func (c *Clock) Set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}
