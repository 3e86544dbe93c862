// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkLiveSessions holds a million open sessions and reports the heap
// they take per session (the target is 256 bytes), with realistic
// 16-hex-character visitor ids and interned paths.
func BenchmarkLiveSessions(b *testing.B) {
	const live = 1_000_000
	visitors := make([]string, live)
	for i := range visitors {
		visitors[i] = fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
	}
	paths := []string{"/", "/pricing", "/blog/one", "/docs"}
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		n := 0
		tr := NewTracker(func(string) Rules { return rules }, func(Input) string { n++; return strconv.Itoa(n) }, live, live)
		for i, v := range visitors {
			at := t0.Add(time.Duration(i) * time.Microsecond)
			if _, err := tr.Add(&Input{Key: Key{Site: "shop", Visitor: v}, EventID: v, Event: pageView(at, paths[i%len(paths)], google)}); err != nil {
				b.Fatal(err)
			}
		}
		tr.Advance(t0.Add(2 * time.Second))
		runtime.GC()
		runtime.ReadMemStats(&after)
		if tr.Live() != live {
			b.Fatalf("%d live sessions", tr.Live())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/live, "heap-bytes/session")
		runtime.KeepAlive(tr)
	}
}

// BenchmarkPlace is the steady state: events of 100k visitors through the
// reorder buffer into their sessions, the watermark following the stream.
func BenchmarkPlace(b *testing.B) {
	const visitors = 100_000
	keys := make([]Key, visitors)
	for i := range keys {
		keys[i] = Key{Site: "shop", Visitor: fmt.Sprintf("%016x", i)}
	}
	n := 0
	// Ten seconds of lateness at 10,000 events/s keeps 100,000 events buffered.
	tr := NewTracker(func(string) Rules { return rules }, func(Input) string { n++; return strconv.Itoa(n) }, visitors, 2*visitors)
	at := t0
	for i := 0; b.Loop(); i++ {
		at = at.Add(100 * time.Microsecond)
		if _, err := tr.Add(&Input{Key: keys[i%visitors], EventID: strconv.Itoa(i), Event: pageView(at, "/", Attribution{})}); err != nil {
			b.Fatal(err)
		}
		if i%100 == 0 {
			tr.Advance(at.Add(-lateness))
		}
	}
}
