// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// testClock is the fake wall clock a harness hands the connector, set by
// hand: the flush ticker fires when it is moved past a flush_interval.
type testClock struct{ *clockwork.FakeClock }

func newTestClock(now time.Time) *testClock {
	return &testClock{FakeClock: clockwork.NewFakeClockAt(now)}
}

// Set moves the clock to now, back or forth.
func (c *testClock) Set(now time.Time) { c.Advance(now.Sub(c.Now())) }
