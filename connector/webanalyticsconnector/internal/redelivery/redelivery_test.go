// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package redelivery

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

func batch(site string, ids ...string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, site)
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, "00000000000000aa")
	for _, id := range ids {
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.Attributes().PutStr(schema.AttrEventID, id)
	}
	return ld
}

func TestFingerprintIdentifiesTheBatch(t *testing.T) {
	a := Fingerprint(batch("shop", "1", "2"))
	if a != Fingerprint(batch("shop", "1", "2")) {
		t.Fatal("the same batch must give the same fingerprint")
	}
	for name, other := range map[string]plog.Logs{
		"another id":      batch("shop", "1", "3"),
		"another site":    batch("blog", "1", "2"),
		"one record less": batch("shop", "1"),
		"ids moved":       batch("shop", "12"),
		"empty":           plog.NewLogs(),
	} {
		if Fingerprint(other) == a {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

func TestMemoryForgetsTheOldest(t *testing.T) {
	m := New(3)
	for fp := uint64(1); fp <= 3; fp++ {
		if m.Seen(fp) {
			t.Fatalf("%d seen before it came", fp)
		}
	}
	if !m.Seen(2) {
		t.Fatal("2 was remembered")
	}
	if m.Seen(4) { // pushes 1 out
		t.Fatal("4 is new")
	}
	if m.Seen(1) {
		t.Fatal("1 should have been forgotten after three newer batches")
	}
	if len(m.set) != 3 || len(m.ring) != 3 {
		t.Fatalf("memory grew past its size: set %d, ring %d", len(m.set), len(m.ring))
	}
}

// A restored memory recognises the same batches and forgets in the same
// order as the one saved.
func TestRestoreFromFingerprints(t *testing.T) {
	saved := New(3)
	for _, fp := range []uint64{1, 2, 3, 4} {
		saved.Seen(fp)
	}
	restored := Restore(3, saved.Fingerprints())
	assert.Equal(t, []uint64{2, 3, 4}, restored.Fingerprints())
	assert.True(t, restored.Seen(4))
	assert.False(t, restored.Seen(5), "new")
	assert.False(t, restored.Seen(2), "forgotten first, as in the saved one")
}

// The fingerprints remembered since a mark, seen again on the memory as it
// was then, make it the memory now (the ground truth: the memory that saw
// them all), whether or not the ring wrapped in between.
func TestSinceAMarkReplaysOnTheMemoryAtTheMark(t *testing.T) {
	for _, between := range []uint64{0, 1, 3, 5, 9} {
		live := New(4)
		for fp := uint64(1); fp <= 6; fp++ {
			live.Seen(fp)
		}
		atMark := Restore(4, live.Fingerprints())
		mark := live.Remembered()
		for fp := uint64(100); fp < 100+between; fp++ {
			live.Seen(fp)
			live.Seen(fp) // a redelivery: not remembered twice
		}
		since := live.Since(mark)
		if want := min(between, 4); uint64(len(since)) != want {
			t.Fatalf("%d remembered since the mark: %d returned, want %d", between, len(since), want)
		}
		for _, fp := range since {
			atMark.Seen(fp)
		}
		if got, want := atMark.Fingerprints(), live.Fingerprints(); !slices.Equal(got, want) {
			t.Fatalf("%d since the mark: replayed %v, want %v", between, got, want)
		}
	}
}
