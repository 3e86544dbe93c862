// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package spill

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func payloads(from, to int) [][]byte {
	var out [][]byte
	for i := from; i < to; i++ {
		out = append(out, fmt.Appendf(nil, "entry-%04d", i))
	}
	return out
}

func readAll(t *testing.T, l *Log, c Cursor) ([][]byte, Cursor) {
	t.Helper()
	var out [][]byte
	for {
		entries, next, err := l.Read(c, 64)
		require.NoError(t, err)
		if len(entries) == 0 && next == c {
			return out, c
		}
		out = append(out, entries...)
		c = next
	}
}

func TestEntriesComeBackInOrderAcrossSegmentsAndRestarts(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 100, 1<<20)
	require.NoError(t, err)
	for i := range 10 {
		require.NoError(t, l.Append(payloads(3*i, 3*i+3)))
	}
	got, end := readAll(t, l, l.Start())
	assert.Equal(t, payloads(0, 30), got)
	assert.Equal(t, l.End(), end)
	require.NoError(t, l.Close())

	l, err = Open(dir, 100, 1<<20)
	require.NoError(t, err)
	defer l.Close()
	got, _ = readAll(t, l, l.Start())
	assert.Equal(t, payloads(0, 30), got, "a restart keeps every entry")
}

func TestReleaseDeletesWholeSegmentsBeforeTheCursor(t *testing.T) {
	l, err := Open(t.TempDir(), 100, 1<<20)
	require.NoError(t, err)
	defer l.Close()
	for i := range 10 {
		require.NoError(t, l.Append(payloads(3*i, 3*i+3)))
	}
	before := l.Bytes()
	entries, next, err := l.Read(l.Start(), 150)
	require.NoError(t, err)
	require.NoError(t, l.Release(next))
	assert.Less(t, l.Bytes(), before)
	rest, _ := readAll(t, l, next)
	assert.Equal(t, payloads(0, 30), append(entries, rest...), "nothing after the cursor is deleted")

	require.NoError(t, l.Reset())
	assert.Zero(t, l.Bytes())
	require.NoError(t, l.Append(payloads(100, 101)))
	got, _ := readAll(t, l, l.Start())
	assert.Equal(t, payloads(100, 101), got)
}

func TestTornTailIsCutOff(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 1<<20, 1<<20)
	require.NoError(t, err)
	require.NoError(t, l.Append(payloads(0, 5)))
	require.NoError(t, l.Close())
	// A crash in the middle of the next append: half an entry.
	path := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, suffix))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte{40, 0, 0, 0, 1, 2, 3, 4, 'x'})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	l, err = Open(dir, 1<<20, 1<<20)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Append(payloads(5, 6)))
	got, _ := readAll(t, l, l.Start())
	assert.Equal(t, payloads(0, 6), got)
}

func TestAFullLogRefusesAndKeepsWhatItHas(t *testing.T) {
	l, err := Open(t.TempDir(), 1<<10, 1<<10)
	require.NoError(t, err)
	defer l.Close()
	big := make([]byte, 600)
	require.NoError(t, l.Append([][]byte{big}))
	require.ErrorIs(t, l.Append([][]byte{big}), ErrFull)
	got, _ := readAll(t, l, l.Start())
	assert.Len(t, got, 1)
}

func TestACorruptEntrySkipsTheRestOfItsSegment(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 60, 1<<20)
	require.NoError(t, err)
	for i := range 4 {
		require.NoError(t, l.Append(payloads(2*i, 2*i+2)))
	}
	first := l.Start()
	path := filepath.Join(dir, fmt.Sprintf("%020d%s", first.Segment, suffix))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data[headerSize] ^= 0xff                            // the first entry's payload
	require.NoError(t, os.WriteFile(path, data, 0o600)) // #nosec G703 -- the test's own directory

	_, next, err := l.Read(first, 1<<20)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Equal(t, Cursor{Segment: first.Segment + 1}, next)
	got, _ := readAll(t, l, next)
	assert.Equal(t, payloads(2, 8), got, "the next segments are read")
}

// A corrupt entry in the segment being appended to skips to its end, and
// what is appended after is read.
func TestACorruptEntryInTheLastSegmentSkipsToItsEnd(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, 1<<20, 1<<20)
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Append(payloads(0, 2)))
	path := filepath.Join(dir, fmt.Sprintf("%020d%s", 1, suffix))
	f, err := os.OpenFile(path, os.O_WRONLY, 0) // #nosec G703 -- the test's own directory
	require.NoError(t, err)
	_, err = f.WriteAt([]byte{0xff}, headerSize)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	_, next, err := l.Read(l.Start(), 1<<20)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Equal(t, l.End(), next)
	require.NoError(t, l.Append(payloads(2, 3)))
	got, _ := readAll(t, l, next)
	assert.Equal(t, payloads(2, 3), got)
}

func TestWriterKeepsTheOrderOfEnqueue(t *testing.T) {
	l, err := Open(t.TempDir(), 1<<20, 1<<20)
	require.NoError(t, err)
	defer l.Close()
	w := NewWriter(l)
	var waits []<-chan error
	for _, p := range payloads(0, 200) {
		waits = append(waits, w.Enqueue(p))
	}
	for _, done := range waits {
		require.NoError(t, <-done)
	}
	assert.True(t, w.Idle())
	w.Close()
	got, _ := readAll(t, l, l.Start())
	assert.Equal(t, payloads(0, 200), got)
}

func TestWriterRefusesOnlyWhatDoesNotFit(t *testing.T) {
	l, err := Open(t.TempDir(), 1<<10, 1<<10)
	require.NoError(t, err)
	defer l.Close()
	w := NewWriter(l)
	defer w.Close()
	small, big := make([]byte, 100), make([]byte, 950)
	a, b, c := w.Enqueue(small), w.Enqueue(big), w.Enqueue(small)
	require.NoError(t, <-a)
	require.ErrorIs(t, <-b, ErrFull)
	require.NoError(t, <-c)
}

// FuzzSegment: whatever bytes a segment holds (a disk's damage), Open and
// Read never panic, and every entry Read returns passed its checksum.
func FuzzSegment(f *testing.F) {
	dir := f.TempDir()
	l, err := Open(dir, 1<<20, 1<<20)
	require.NoError(f, err)
	require.NoError(f, l.Append(payloads(0, 3)))
	require.NoError(f, l.Close())
	good, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%020d%s", 1, suffix)))
	require.NoError(f, err)
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, segment []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d%s", 1, suffix)), segment, 0o600))
		l, err := Open(dir, 1<<20, 1<<20)
		require.NoError(t, err)
		defer l.Close()
		c := l.Start()
		for range 1000 {
			entries, next, err := l.Read(c, 1<<10)
			if err != nil {
				require.ErrorIs(t, err, ErrCorrupt)
			}
			if next == c {
				return
			}
			for _, e := range entries {
				require.LessOrEqual(t, len(e), len(segment))
			}
			c = next
		}
		t.Fatal("Read did not reach the end")
	})
}
