// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"

import "time"

// The connector asks for the last few minutes' visitors of every site at
// every flush (four times a second by default), twice with the default
// current_visitors_window. Each answer merges the window's minutes into a
// fresh 64 KiB accumulator and estimates over its 65,536 registers: the
// larger part of a flush, and a cost of every site, busy or not. So each
// window length keeps its last estimate, which holds until a visitor is
// added to one of its minutes or the window moves. (The merge of the
// completed minutes is not kept: it would hold 64 KiB per site and window,
// and the estimate, not the merge, is most of the work.)

// recentWindow is the last estimate of one window length: the window
// ending in minute at, when the Windows had had inserts inserts.
type recentWindow struct {
	valid    bool
	at       int64
	inserts  uint64
	estimate uint64
}

// EstimateLast returns the distinct visitors of the last n minutes ending at
// now (the minute of now and the n-1 before it), for n from 1 to 60.
func (w *Windows) EstimateLast(now time.Time, n int) uint64 {
	n = min(max(n, 1), ringMinutes)
	current := unixMinute(now)
	first := current - int64(n) + 1
	r := &w.recent[n]
	if r.valid && r.at == current && w.lastChange(first, current) <= r.inserts {
		return r.estimate
	}
	acc := newAccumulator()
	for m := first; m <= current; m++ {
		w.mergeMinute(acc, m)
	}
	*r = recentWindow{valid: true, at: current, inserts: w.inserts, estimate: acc.Estimate()}
	return r.estimate
}

// lastChange is the insert count at the last insert into the slots of the
// minutes from first to last: a slot that now holds another minute was
// changed too, when it was taken.
func (w *Windows) lastChange(first, last int64) uint64 {
	var changed uint64
	for m := first; m <= last; m++ {
		changed = max(changed, w.minutes[slotOf(m)].changed)
	}
	return changed
}
