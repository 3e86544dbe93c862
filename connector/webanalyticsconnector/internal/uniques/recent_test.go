// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// EstimateLast, asked again and again as the connector's flushes do while
// visitors arrive on time, late into completed minutes, and after the ring
// has moved on, always equals the estimate of a fresh merge of the window's
// minutes, and that is within 2% (or 2 visitors) of the exact distinct
// count: a kept estimate never shows a window as it was.
func TestRecentWindowsFollowEveryInsert(t *testing.T) {
	w := New(time.UTC)
	seen := map[int64]map[string]bool{} // minute -> visitors
	exact := func(now time.Time, n int) uint64 {
		union := map[string]bool{}
		for m := unixMinute(now) - int64(n) + 1; m <= unixMinute(now); m++ {
			for v := range seen[m] {
				union[v] = true
			}
		}
		return uint64(len(union))
	}
	rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- a fixed test sequence
	now := t0
	for step := range 400 {
		now = now.Add(time.Duration(rng.IntN(6)) * time.Second)
		at := now
		if rng.IntN(5) == 0 {
			at = now.Add(-time.Duration(rng.IntN(7)) * time.Minute) // late
		}
		v := visitor(rng.IntN(400))
		if w.Add(v, at) {
			m := unixMinute(at)
			if seen[m] == nil {
				seen[m] = map[string]bool{}
			}
			seen[m][v] = true
		}
		for _, n := range []int{5, 3, 1} {
			got, fresh, want := w.EstimateLast(now, n), freshEstimate(w, now, n), exact(now, n)
			tolerance := max(2, float64(want)/50)
			if got != fresh || math.Abs(float64(got)-float64(want)) > tolerance {
				assert.Equal(t, fresh, got, "step %d, last %d minutes at %v: as a fresh merge", step, n, now)
				assert.InDelta(t, want, got, tolerance, "step %d, last %d minutes at %v: the exact count", step, n, now)
				return
			}
		}
	}
	// A quiet site: the ring moves past every visitor.
	later := now.Add(2 * time.Hour)
	assert.Zero(t, w.EstimateLast(later, 5))
	w.Add("back", later)
	assert.Equal(t, uint64(1), w.EstimateLast(later, 5))
}

// freshEstimate merges the window's minutes anew, as EstimateLast did before
// it cached.
func freshEstimate(w *Windows, now time.Time, n int) uint64 {
	acc := newAccumulator()
	for m := unixMinute(now) - int64(n) + 1; m <= unixMinute(now); m++ {
		w.mergeMinute(acc, m)
	}
	return acc.Estimate()
}

// A window nobody added to since the last flush is not merged again.
func BenchmarkEstimateLastQuiet(b *testing.B) {
	w := New(time.UTC)
	for i := range 100_000 {
		w.Add(visitor(i), t0.Add(time.Duration(i%300)*time.Second))
	}
	now := t0.Add(5 * time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		w.EstimateLast(now, 5)
	}
}

// A busy site: a visitor arrives between flushes, so the window is merged
// and estimated again.
func BenchmarkEstimateLastBusy(b *testing.B) {
	w := New(time.UTC)
	for i := range 100_000 {
		w.Add(visitor(i), t0.Add(time.Duration(i%300)*time.Second))
	}
	now := t0.Add(4*time.Minute + 59*time.Second)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		w.Add(visitor(i), now)
		w.EstimateLast(now, 5)
	}
}
