// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package snapshot // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"

import "math"

// listMinutes is how many minutes of top-list values a site keeps: enough
// to subtract the value an hour ago from the current one.
const listMinutes = 61

// listHistory keeps, for every entry of every top list of a site, its
// cumulative value at the end of each of the last listMinutes minutes (a
// ring indexed by minute), and the values at the end of the day before, so
// that the lists can be shown for the last 5 minutes, the last hour and
// today rather than since the collector started. An entry is bounded by
// the connector's top K per breakdown; one absent for listMinutes is
// forgotten.
type listHistory struct {
	// minutes[i] is the minute ring slot i holds; -1 when empty.
	minutes [listMinutes]int64
	values  map[entryKey]*[listMinutes]float64
	// dayStart is the lists at the end of the last minute before today
	// (nil until a day has begun while the site was tracked), and day the
	// day it belongs to.
	dayStart map[entryKey]float64
	day      int64
}

type entryKey struct{ list, name string }

func newListHistory() *listHistory {
	h := &listHistory{values: map[entryKey]*[listMinutes]float64{}}
	for i := range h.minutes {
		h.minutes[i] = -1
	}
	return h
}

// record stores the lists as they are at the end of minute, on day (the
// day number of minute in the tracker's time zone). Entries the lists do
// not hold are unknown for that minute. The connector pushes several times
// a minute: only the first push of a minute moves the ring.
func (h *listHistory) record(minute, day int64, lists map[string]map[string]float64) {
	slot := int(minute % listMinutes)
	if h.minutes[slot] != minute {
		h.startMinute(slot, minute, day)
	}
	for list, entries := range lists {
		for name, v := range entries {
			key := entryKey{list, name}
			ring, ok := h.values[key]
			if !ok {
				ring = &[listMinutes]float64{}
				for i := range ring {
					ring[i] = math.NaN()
				}
				h.values[key] = ring
			}
			ring[slot] = v
		}
	}
}

// startMinute gives slot to minute, forgetting what it held, and entries
// no slot holds a value of any more.
func (h *listHistory) startMinute(slot int, minute, day int64) {
	if last := h.last(); last >= 0 && day != h.day {
		// The first push of a new day: the values at the end of the last
		// minute recorded are where today starts.
		h.dayStart = h.valuesAt(last)
	}
	h.day = day
	h.minutes[slot] = minute
	for key, ring := range h.values {
		ring[slot] = math.NaN()
		if empty(ring) {
			delete(h.values, key)
		}
	}
}

// empty reports whether no slot of the ring holds a value.
func empty(ring *[listMinutes]float64) bool {
	for _, v := range ring {
		if !math.IsNaN(v) {
			return false
		}
	}
	return true
}

// last is the newest minute recorded, -1 when none.
func (h *listHistory) last() int64 {
	newest := int64(-1)
	for _, m := range h.minutes {
		newest = max(newest, m)
	}
	return newest
}

// slotAt is the slot of the newest minute recorded at or before minute,
// -1 when none is kept.
func (h *listHistory) slotAt(minute int64) int {
	best, slot := int64(-1), -1
	for i, m := range h.minutes {
		if m >= 0 && m <= minute && m > best {
			best, slot = m, i
		}
	}
	return slot
}

// todayBase is where today's lists start on day: the values at the end of
// the day before, or nothing when the site was not tracked then.
func (h *listHistory) todayBase(day int64) map[entryKey]float64 {
	if last := h.last(); last >= 0 && day != h.day {
		return h.valuesAt(last) // no push yet today
	}
	return h.dayStart
}

// valuesAt is every entry's value at the end of minute (as recorded at or
// before it).
func (h *listHistory) valuesAt(minute int64) map[entryKey]float64 {
	out := map[entryKey]float64{}
	slot := h.slotAt(minute)
	if slot < 0 {
		return out
	}
	for key, ring := range h.values {
		if v := ring[slot]; !math.IsNaN(v) {
			out[key] = v
		}
	}
	return out
}

// since returns a list's entries counted after base: the current value
// minus the base value. An entry absent from base counts from zero (the
// connector starts a breakdown's series at zero), and one whose value went
// down (the collector restarted without its state) counts from its new
// start.
func since(current map[string]float64, list string, base map[entryKey]float64) map[string]float64 {
	out := make(map[string]float64, len(current))
	for name, v := range current {
		b, ok := base[entryKey{list, name}]
		switch {
		case !ok || v < b:
			out[name] = v
		case v > b:
			out[name] = v - b
		}
	}
	return out
}
