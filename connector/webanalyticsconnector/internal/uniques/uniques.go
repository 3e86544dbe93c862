// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package uniques counts distinct visitors of one site over event-time
// windows — the last 5 minutes, the last hour and today in the site's time
// zone — with HyperLogLog sketches of precision 16: a relative standard error
// of 1.04/√65536 ≈ 0.41%, so an estimate of a million visitors is within 1%
// about 98% of the time. A sketch of a small site stays sparse (a few bytes
// per visitor); a large one takes 64 KiB.
package uniques // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"

import (
	"time"

	"github.com/axiomhq/hyperloglog"
	metro "github.com/dgryski/go-metro"
)

const ringMinutes = 60

// Counts are the distinct visitors of each window ending at the time asked.
type Counts struct {
	Last5Minutes uint64
	LastHour     uint64
	Today        uint64
}

type minuteSketch struct {
	minute int64 // Unix minute the sketch holds; a slot with another minute is stale
	sketch *hyperloglog.Sketch
	// inserts counts the slot's inserts since its sketch began (or was
	// restored): past sparseInserts the sketch is dense.
	inserts int
	// changed is the Windows' insert count at the slot's last insert.
	changed uint64
	// change is what the slot counted since the mark (delta.go).
	change change
}

// Windows is not safe for concurrent use: it belongs to the connector's state owner.
type Windows struct {
	loc     *time.Location
	minutes [ringMinutes]minuteSketch
	// newest is the newest minute added; the ring holds the hour up to it.
	newest int64
	// completed caches the merge of the 59 minutes before completedUpTo, so
	// that an hour estimate merges two sketches, not sixty.
	completed     *hyperloglog.Sketch
	completedUpTo int64
	todayKey      int64 // local date as yyyymmdd
	today         *hyperloglog.Sketch
	todayInserts  int
	// inserts counts inserts into minute slots; recent caches EstimateLast
	// for each window length asked (recent.go).
	inserts uint64
	recent  [ringMinutes + 1]recentWindow
	// marked: changes since the mark are noted for the next delta, today's
	// in todayChange and each minute's in its slot (delta.go).
	marked      bool
	todayChange change
}

// New counts in the given time zone (for "today").
func New(loc *time.Location) *Windows {
	if loc == nil {
		loc = time.UTC
	}
	return &Windows{loc: loc, completedUpTo: -1}
}

// SetLocation counts "today" in loc from now on. Today's visitors so far
// stay: a zone that was only unknown until now (a new site, a state saved
// before sites named their zones) was the one they were counted in.
func (w *Windows) SetLocation(loc *time.Location) {
	if loc != nil {
		w.loc = loc
	}
}

// RestartToday forgets today's visitors: after a change of time zone they
// were counted from another midnight.
func (w *Windows) RestartToday() {
	w.today, w.todayKey, w.todayInserts = nil, 0, 0
	w.todayChange = change{replaced: w.marked}
}

// hashOf is the hash hyperloglog's Insert takes of a visitor (MetroHash64,
// seed 1337: TestHashOfIsInsertsHash), taken once per visitor rather than
// once per window.
func hashOf(visitor string) uint64 {
	return metro.Hash64([]byte(visitor), 1337)
}

// newSketch makes a sketch to insert into: sparse, so a small site's minute
// costs bytes, not 64 KiB.
func newSketch() *hyperloglog.Sketch { return mustSketch(true) }

// newAccumulator makes a sketch to merge into: dense, because merging many
// sketches into a sparse one re-encodes its list at every step.
func newAccumulator() *hyperloglog.Sketch { return mustSketch(false) }

// sparseInserts is how many inserts a sketch takes sparse. A sparse sketch
// merges the entries it buffers into its sorted list every m/100 new ones
// (655 at precision 16), decoding and encoding the whole list each time:
// past a few thousand entries an insert costs more than all else the
// connector does for an event (a quarter of BenchmarkConsumeLogs, whose
// sites count 50,000 visitors). Dense, an insert is one store and the
// sketch is 64 KiB, little for a window that has counted this many.
const sparseInserts = 4096

// insertInto adds h to sk, which has taken *inserts before, and returns the
// sketch to keep: sk, or at sparseInserts a dense copy of it.
func insertInto(sk *hyperloglog.Sketch, h uint64, inserts *int) *hyperloglog.Sketch {
	*inserts++
	if *inserts == sparseInserts {
		if dense := newAccumulator(); dense.Merge(sk) == nil {
			sk = dense
		}
	}
	sk.InsertHash(h)
	return sk
}

func mustSketch(sparse bool) *hyperloglog.Sketch {
	sk, err := hyperloglog.NewSketch(16, sparse)
	if err != nil {
		panic(err) // precision 16 is valid; only a programming error gets here
	}
	return sk
}

// unixMinute is the minute since the Unix epoch that holds t, rounded down:
// Go's division truncates towards zero, which would put the half-minute
// before the epoch into minute 0.
func unixMinute(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s+1)/60 - 1
	}
	return s / 60
}

// slotOf is the ring slot of a Unix minute. Go's % keeps the dividend's sign,
// and an event time before 1970 (a client clock anyone can set) gives a
// negative minute, so the remainder is brought into [0, ringMinutes).
func slotOf(minute int64) int {
	return int((minute%ringMinutes + ringMinutes) % ringMinutes)
}

func (w *Windows) dayKey(t time.Time) int64 {
	y, m, d := t.In(w.loc).Date()
	return int64(y)*10000 + int64(m)*100 + int64(d)
}

// Add counts a visitor at event time at. It reports false when at is too old
// for every window it is still tracking (older than the ring and not today).
func (w *Windows) Add(visitor string, at time.Time) bool {
	h := hashOf(visitor) // once for every window it goes into
	counted := false
	minute := unixMinute(at)
	w.newest = max(w.newest, minute)
	slot := &w.minutes[slotOf(minute)]
	switch {
	case minute <= w.newest-ringMinutes:
		// Older than the hour the ring holds.
	case slot.sketch == nil || slot.minute < minute:
		slot.minute, slot.sketch, slot.inserts = minute, newSketch(), 0
		slot.change = change{replaced: w.marked}
		fallthrough
	case slot.minute == minute:
		slot.sketch = insertInto(slot.sketch, h, &slot.inserts)
		if w.marked {
			slot.change.note(h)
		}
		w.inserts++
		slot.changed = w.inserts
		if minute < w.completedUpTo {
			w.completedUpTo = -1 // a late visitor changes a completed minute
		}
		counted = true
	}
	switch day := w.dayKey(at); {
	case w.today == nil || day > w.todayKey:
		w.todayKey, w.today, w.todayInserts = day, newSketch(), 0
		w.todayChange = change{replaced: w.marked}
		fallthrough
	case day == w.todayKey:
		w.today = insertInto(w.today, h, &w.todayInserts)
		if w.marked {
			w.todayChange.note(h)
		}
		counted = true
	}
	return counted
}

// Estimate returns the windows ending at now (the connector's watermark).
// "Last hour" is the minute of now and the 59 before it; "last 5 minutes"
// the minute of now and the 4 before it; "today" every visitor seen so far
// on now's local date.
func (w *Windows) Estimate(now time.Time) Counts {
	current := unixMinute(now)
	var c Counts

	last5 := newAccumulator()
	for m := current - 4; m <= current; m++ {
		w.mergeMinute(last5, m)
	}
	c.Last5Minutes = last5.Estimate()

	if w.completedUpTo != current {
		w.completed = newAccumulator()
		for m := current - ringMinutes + 1; m < current; m++ {
			w.mergeMinute(w.completed, m)
		}
		w.completedUpTo = current
	}
	hour := w.completed.Clone()
	w.mergeMinute(hour, current)
	c.LastHour = hour.Estimate()

	if w.today != nil && w.todayKey == w.dayKey(now) {
		c.Today = w.today.Estimate()
	}
	return c
}

// TodayHolds reports whether the window of length d ending at now lies
// within now's local date, so that today's visitors include its visitors.
func (w *Windows) TodayHolds(now time.Time, d time.Duration) bool {
	return w.dayKey(now.Add(-d)) == w.dayKey(now)
}

func (w *Windows) mergeMinute(into *hyperloglog.Sketch, minute int64) {
	slot := w.minutes[slotOf(minute)]
	if slot.sketch != nil && slot.minute == minute {
		_ = into.Merge(slot.sketch) // sketches of one precision always merge
	}
}
