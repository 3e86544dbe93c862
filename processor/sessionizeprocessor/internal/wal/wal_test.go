// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package wal

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSegmentSize = 4 * pageSize

func entry(seq uint64, size int) Entry {
	return Entry{Seq: seq, Data: bytes.Repeat([]byte{byte(seq)}, size)}
}

func replayAll(t *testing.T, l *Log) ([]Entry, error) {
	t.Helper()
	var got []Entry
	repaired, err := l.Replay(func(e Entry) error {
		got = append(got, Entry{Seq: e.Seq, Data: bytes.Clone(e.Data)})
		return nil
	})
	require.NoError(t, err)
	return got, repaired
}

func open(t *testing.T, dir string) *Log {
	t.Helper()
	l, err := Open(dir, testSegmentSize)
	require.NoError(t, err)
	return l
}

// What Append returned for is read back after a crash (the log is never
// closed), in order, across segment rotations, also those inside one
// group.
func TestAppendThenReplayAfterCrash(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	_, _ = replayAll(t, l)
	var want []Entry
	seq := uint64(0)
	for group := range 20 {
		var entries []Entry
		for range group%4 + 1 {
			e := entry(seq, 1000+int(seq)*611%20000)
			want = append(want, e)
			if seq%2 == 1 {
				// A header written before the caller's bytes is read back
				// as one value with them.
				e = Entry{Seq: e.Seq, Head: e.Data[:7], Data: e.Data[7:]}
			}
			entries = append(entries, e)
			seq++
		}
		require.NoError(t, l.Append(entries))
	}
	assert.Greater(t, l.Segments(), 3, "the entries span several segments")

	reopened := open(t, dir) // the first is never closed: a crash
	got, repaired := replayAll(t, reopened)
	assert.NoError(t, repaired)
	assert.Equal(t, want, got)
	require.NoError(t, reopened.Close())
}

// Release and DeleteBefore delete whole segments whose entries are all
// before the oldest still needed, and keep the segment holding that one.
func TestReleaseKeepsTheOldestNeeded(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	_, _ = replayAll(t, l)
	for seq := range uint64(40) {
		require.NoError(t, l.Append([]Entry{entry(seq, 9000)}))
	}
	kept, ok := l.Release(25)
	require.True(t, ok)
	require.NoError(t, l.DeleteBefore(kept))
	_, again := l.Release(25)
	assert.False(t, again, "what is released is released once")
	require.NoError(t, l.Close())

	got, _ := replayAll(t, open(t, dir))
	require.NotEmpty(t, got)
	assert.LessOrEqual(t, got[0].Seq, uint64(25), "entry 25 is kept")
	assert.Greater(t, got[0].Seq, uint64(0), "earlier segments are gone")
	for i, e := range got {
		assert.Equal(t, got[0].Seq+uint64(i), e.Seq, "what is kept is contiguous")
	}
	assert.Equal(t, uint64(39), got[len(got)-1].Seq)
}

// A write torn by a crash (never acknowledged) is cut off; everything
// before it is read, and the log takes appends again.
func TestTornTailIsRepaired(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	_, _ = replayAll(t, l)
	for seq := range uint64(5) {
		require.NoError(t, l.Append([]Entry{entry(seq, 3000)}))
	}
	require.NoError(t, l.Append([]Entry{entry(5, 50000)})) // spans pages
	require.NoError(t, l.Close())

	segments, err := filepath.Glob(filepath.Join(dir, "0*"))
	require.NoError(t, err)
	last := segments[len(segments)-1]
	for _, s := range segments {
		if fi, _ := os.Stat(s); fi.Size() > 0 {
			last = s
		}
	}
	fi, err := os.Stat(last)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(last, fi.Size()-20000)) // cut in the middle of entry 5

	reopened := open(t, dir)
	got, repaired := replayAll(t, reopened)
	assert.Error(t, repaired, "the torn tail is reported")
	require.Len(t, got, 5)
	assert.Equal(t, uint64(4), got[4].Seq)
	require.NoError(t, reopened.Append([]Entry{entry(6, 100)}))
	require.NoError(t, reopened.Close())

	got, repaired = replayAll(t, open(t, dir))
	assert.NoError(t, repaired)
	require.Len(t, got, 6)
	assert.Equal(t, uint64(6), got[5].Seq)
}

func TestEntryLargerThanASegmentIsRefused(t *testing.T) {
	l := open(t, t.TempDir())
	_, _ = replayAll(t, l)
	assert.ErrorIs(t, l.Append([]Entry{entry(0, testSegmentSize)}), ErrTooLarge)
	require.NoError(t, l.Append([]Entry{entry(1, 10)}))
	require.NoError(t, l.Close())
}

func TestOpenRefusesABadSegmentSize(t *testing.T) {
	_, err := Open(t.TempDir(), 1000)
	assert.Error(t, err)
}

// Group commit: one Append of many entries costs one fsync.
func BenchmarkAppendGroupOf16(b *testing.B) {
	l, err := Open(b.TempDir(), DefaultSegmentSize)
	require.NoError(b, err)
	_, _ = l.Replay(func(Entry) error { return nil })
	group := make([]Entry, 16)
	seq := uint64(0)
	b.ReportAllocs()
	b.SetBytes(16 * 14000)
	for b.Loop() {
		for i := range group {
			group[i] = Entry{Seq: seq, Data: make([]byte, 14000)}
			seq++
		}
		if err := l.Append(group); err != nil {
			b.Fatal(fmt.Sprint(err))
		}
	}
	require.NoError(b, l.Close())
}

// The largest entry MaxEntryBytes allows is taken; one byte more is not.
func TestMaxEntryBytes(t *testing.T) {
	l := open(t, t.TempDir())
	_, _ = replayAll(t, l)
	limit := l.MaxEntryBytes()
	require.Positive(t, limit)
	require.NoError(t, l.Append([]Entry{entry(0, limit)}))
	assert.ErrorIs(t, l.Append([]Entry{entry(1, testSegmentSize-pageSize)}), ErrTooLarge)
	require.NoError(t, l.Close())
}
