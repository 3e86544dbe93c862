// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func visitor(i int) string { return fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15) }

// TestMillionVisitorsWithinOnePercent is the documented accuracy at the
// documented scale, on a fixed set of ids (so the test is deterministic).
func TestMillionVisitorsWithinOnePercent(t *testing.T) {
	w := New(time.UTC)
	const n = 1_000_000
	for i := range n {
		w.Add(visitor(i), t0.Add(time.Duration(i%240)*time.Second))
		if i%3 == 0 {
			w.Add(visitor(i), t0.Add(time.Minute)) // repeat visits count once
		}
	}
	c := w.Estimate(t0.Add(4 * time.Minute))
	for name, got := range map[string]uint64{"last 5 minutes": c.Last5Minutes, "last hour": c.LastHour, "today": c.Today} {
		errRel := math.Abs(float64(got)-n) / n
		assert.Less(t, errRel, 0.01, "%s: estimate %d of %d", name, got, n)
	}
}

func TestSmallCountsAreExact(t *testing.T) {
	w := New(time.UTC)
	for i := range 100 {
		w.Add(visitor(i%40), t0.Add(time.Duration(i)*time.Second))
	}
	assert.Equal(t, Counts{Last5Minutes: 40, LastHour: 40, Today: 40}, w.Estimate(t0.Add(2*time.Minute)))
}

// A window's sketch is sparse (exact at small counts) until it has taken
// sparseInserts inserts, then dense, whose inserts do not re-encode a list;
// the estimates stay within the documented accuracy of the distinct
// visitors added, and a restored window turns dense in the same way.
func TestALargeWindowTurnsDense(t *testing.T) {
	sparse := func(t *testing.T, sk interface{ MarshalBinary() ([]byte, error) }) bool {
		b, err := sk.MarshalBinary()
		require.NoError(t, err)
		return b[3] == 1 // version, precision, b, then the sparse flag
	}
	w := New(time.UTC)
	add := func(from, to int) {
		for i := from; i < to; i++ {
			w.Add(visitor(i), t0.Add(time.Duration(i%50)*time.Second))
		}
	}
	add(0, sparseInserts-1)
	slot := &w.minutes[slotOf(unixMinute(t0))]
	require.True(t, sparse(t, slot.sketch))
	require.True(t, sparse(t, w.today))
	// Today's sketch is read as it is: sparse, exact. The windows of minutes
	// are merged into a dense sketch to be read, as before.
	assert.Equal(t, uint64(sparseInserts-1), w.Estimate(t0.Add(time.Minute)).Today)

	const n = 20_000
	add(sparseInserts-1, n)
	assert.False(t, sparse(t, slot.sketch))
	assert.False(t, sparse(t, w.today))
	c := w.Estimate(t0.Add(time.Minute))
	for name, got := range map[string]uint64{"last 5 minutes": c.Last5Minutes, "last hour": c.LastHour, "today": c.Today} {
		assert.InDelta(t, n, float64(got), 0.01*n, "%s: estimate %d of %d", name, got, n)
	}

	// A restored window counts its inserts anew.
	data, err := New(time.UTC).MarshalBinary()
	require.NoError(t, err)
	w = New(time.UTC)
	require.NoError(t, w.UnmarshalBinary(data))
	add(0, sparseInserts)
	assert.False(t, sparse(t, w.today))
}

func TestWindowsSlide(t *testing.T) {
	w := New(time.UTC)
	w.Add("early", t0)
	w.Add("later", t0.Add(10*time.Minute))

	assert.Equal(t, Counts{Last5Minutes: 1, LastHour: 1, Today: 2}, w.Estimate(t0.Add(4*time.Minute)), "today counts the whole local day seen so far")
	assert.Equal(t, Counts{Last5Minutes: 1, LastHour: 2, Today: 2}, w.Estimate(t0.Add(10*time.Minute)))
	assert.Equal(t, Counts{Last5Minutes: 0, LastHour: 2, Today: 2}, w.Estimate(t0.Add(59*time.Minute+59*time.Second)), "minute 59 still holds minute 0")
	assert.Equal(t, Counts{Last5Minutes: 0, LastHour: 1, Today: 2}, w.Estimate(t0.Add(60*time.Minute)), "early has left the hour at minute 60")
	assert.Equal(t, Counts{Last5Minutes: 0, LastHour: 0, Today: 2}, w.Estimate(t0.Add(70*time.Minute)))
}

func TestLateVisitorUpdatesTheCachedHour(t *testing.T) {
	w := New(time.UTC)
	w.Add("a", t0)
	now := t0.Add(30 * time.Minute)
	require.Equal(t, uint64(1), w.Estimate(now).LastHour)
	assert.True(t, w.Add("b", t0.Add(time.Minute)), "a late visitor within the hour")
	assert.Equal(t, uint64(2), w.Estimate(now).LastHour)
}

func TestTodayFollowsTheSiteTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	w := New(berlin)
	w.Add("night-owl", time.Date(2026, 11, 27, 22, 45, 0, 0, time.UTC))  // 23:45 in Berlin
	w.Add("early-bird", time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)) // 00:30 next day in Berlin
	c := w.Estimate(time.Date(2026, 11, 27, 23, 31, 0, 0, time.UTC))
	assert.Equal(t, uint64(1), c.Today, "a new day began at midnight Berlin time")
	assert.Equal(t, uint64(2), c.LastHour)

	assert.False(t, w.Add("too-late", time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)), "yesterday, and older than the ring")
	assert.Equal(t, uint64(1), w.Estimate(time.Date(2026, 11, 27, 23, 31, 0, 0, time.UTC)).Today)
}

// A site's time zone is learned from its records: the visitors of today so
// far stay when it is only learned, and start again when it changes.
func TestTodayMovesWithTheTimeZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	noon := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) // 21:00 in Tokyo
	w := New(time.UTC)
	w.Add("a", noon)
	w.SetLocation(tokyo)
	assert.Equal(t, uint64(1), w.Estimate(noon).Today, "learned: today's visitors stay")
	w.Add("b", noon.Add(4*time.Hour)) // 01:00 the next day in Tokyo
	assert.Equal(t, uint64(1), w.Estimate(noon.Add(4*time.Hour)).Today, "a new day began at midnight Tokyo time")

	w.RestartToday()
	w.SetLocation(time.UTC)
	assert.Equal(t, uint64(0), w.Estimate(noon.Add(4*time.Hour)).Today, "changed: today starts again")
	w.Add("c", noon.Add(4*time.Hour))
	assert.Equal(t, uint64(1), w.Estimate(noon.Add(4*time.Hour)).Today)
}

func BenchmarkAdd(b *testing.B) {
	w := New(time.UTC)
	for i := 0; b.Loop(); i++ {
		w.Add(visitor(i), t0.Add(time.Duration(i%3600)*time.Millisecond))
	}
}

// BenchmarkEstimate is the per-second cost for a large site: dense sketches in
// every minute of the hour.
func BenchmarkEstimate(b *testing.B) {
	w := New(time.UTC)
	for i := range 600_000 {
		w.Add(visitor(i), t0.Add(time.Duration(i%3600)*time.Second))
	}
	now := t0.Add(59 * time.Minute)
	w.Estimate(now)
	for b.Loop() {
		w.Estimate(now)
	}
}

// A client clock can say 1969: the minutes before the Unix epoch are negative
// and must land in the ring like any other (the fuzzer found an index of -3).
func TestVisitorsBeforeTheUnixEpoch(t *testing.T) {
	epoch := time.Unix(0, 0).UTC()
	w := New(time.UTC)
	assert.True(t, w.Add("a", epoch.Add(-3*time.Minute)))
	assert.True(t, w.Add("b", epoch.Add(-30*time.Second)))
	assert.True(t, w.Add("c", epoch.Add(30*time.Second)))

	now := epoch.Add(time.Minute)
	assert.Equal(t, Counts{Last5Minutes: 3, LastHour: 3, Today: 1}, w.Estimate(now), "today is 1 January 1970; a and b were on 31 December")
	assert.Equal(t, uint64(1), w.EstimateLast(epoch.Add(-time.Second), 2), "the two minutes ending just before the epoch hold b alone")
	assert.Equal(t, uint64(2), w.EstimateLast(epoch.Add(-time.Second), 3), "the three minutes ending just before the epoch hold a and b")
}

func TestTodayHoldsAWindowUntilItCrossesMidnight(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	w := New(berlin)
	midnight := time.Date(2026, 11, 28, 0, 0, 0, 0, berlin)
	assert.True(t, w.TodayHolds(midnight.Add(time.Hour), time.Hour))
	assert.False(t, w.TodayHolds(midnight.Add(30*time.Minute), time.Hour), "the hour reaches into yesterday")
	assert.True(t, w.TodayHolds(midnight.Add(30*time.Minute), 5*time.Minute))
	assert.False(t, w.TodayHolds(midnight.Add(2*time.Minute), 5*time.Minute))
}
