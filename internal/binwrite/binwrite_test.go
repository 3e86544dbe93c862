// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package binwrite

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/binread"
)

// What a Writer writes, binread reads back as it was.
func TestBinreadReadsWhatWasWritten(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 123, time.UTC)
	w := &Writer{}
	w.Byte(0xb3)
	w.Uvarint(math.MaxUint64)
	w.Varint(-5)
	w.Fixed64(42)
	w.Float64(2.5)
	w.Bytes([]byte{1, 2})
	w.Str("héllo")
	w.Bool(true)
	w.Bool(false)
	w.Time(at)
	w.Time(time.Time{})

	r := binread.New(w.Buf)
	assert.Equal(t, byte(0xb3), r.Byte())
	assert.Equal(t, uint64(math.MaxUint64), r.Uvarint())
	assert.Equal(t, int64(-5), r.Varint())
	assert.Equal(t, uint64(42), r.Fixed64())
	assert.Equal(t, 2.5, r.Float64()) //nolint:testifylint // exact: the bits are copied
	assert.Equal(t, []byte{1, 2}, r.Bytes())
	assert.Equal(t, "héllo", r.Str())
	assert.True(t, r.Bool())
	assert.False(t, r.Bool())
	assert.Equal(t, at, r.Time())
	assert.True(t, r.Time().IsZero())
	require.NoError(t, r.Err())
	assert.Zero(t, r.Len())
}

func TestBinreadRefusesABooleanThatIsNot(t *testing.T) {
	r := binread.New([]byte{2})
	r.Bool()
	require.ErrorContains(t, r.Err(), "boolean byte 2")
}

// A string written again is its number; binread gives back each string.
func TestAnInternedStringIsWrittenOnce(t *testing.T) {
	w := &Writer{}
	var written Strings
	for _, s := range []string{"footfall.page_views", "demo", "footfall.page_views", "", "demo", ""} {
		w.Interned(&written, s)
	}
	// 0, 19, the name; 0, 4, "demo"; 1; 0, 0; 2; 3.
	assert.Len(t, w.Buf, 2+len("footfall.page_views")+2+len("demo")+1+2+1+1)

	r := binread.New(w.Buf)
	var read binread.Strings
	for _, want := range []string{"footfall.page_views", "demo", "footfall.page_views", "", "demo", ""} {
		assert.Equal(t, want, r.Interned(&read))
	}
	require.NoError(t, r.Err())
	assert.Zero(t, r.Len())
}

// Past binread.MaxInterned, a string not numbered yet is written whole
// each time, and both sides go on numbering none; the strings numbered
// before keep their numbers.
func TestPastMaxInternedStringsAreWrittenWhole(t *testing.T) {
	w := &Writer{}
	var written Strings
	var want []string
	for i := range binread.MaxInterned + 2 {
		s := strconv.Itoa(i)
		w.Interned(&written, s)
		want = append(want, s)
	}
	before := len(w.Buf)
	w.Interned(&written, "65536") // the first one past: whole again
	assert.Equal(t, 7, len(w.Buf)-before)
	before = len(w.Buf)
	w.Interned(&written, "5") // numbered 5: the byte 6
	assert.Equal(t, 1, len(w.Buf)-before)
	want = append(want, "65536", "5")

	r := binread.New(w.Buf)
	var read binread.Strings
	for _, s := range want {
		require.Equal(t, s, r.Interned(&read))
	}
	require.NoError(t, r.Err())
	assert.Zero(t, r.Len())
}

func TestANumberOfAStringNotReadIsRefused(t *testing.T) {
	r := binread.New([]byte{0, 1, 'a', 2})
	var read binread.Strings
	assert.Equal(t, "a", r.Interned(&read))
	r.Interned(&read)
	require.ErrorContains(t, r.Err(), "string number 1 of 1 read")
}

// Whole numbers take a varint, everything else its 8 bytes, and each reads
// back exactly.
func TestFloatCompactKeepsEveryValue(t *testing.T) {
	for _, tc := range []struct {
		v     float64
		bytes int
	}{
		{0, 1},
		{1, 1},
		{63, 1},
		{64, 2},
		{1e6, 3},
		{1 << 53, 8},
		{1<<53 + 2, 9},
		{2.5, 9},
		{-1, 9},
		{math.Inf(1), 9},
		{math.MaxFloat64, 9},
	} {
		w := &Writer{}
		w.FloatCompact(tc.v)
		assert.Len(t, w.Buf, tc.bytes, "%v", tc.v)
		r := binread.New(w.Buf)
		assert.Equal(t, tc.v, r.FloatCompact(), "%v", tc.v) //nolint:testifylint // exact: nothing is rounded
		require.NoError(t, r.Err())
	}
	w := &Writer{}
	w.FloatCompact(math.NaN())
	assert.True(t, math.IsNaN(binread.New(w.Buf).FloatCompact()))
	r := binread.New([]byte{3})
	r.FloatCompact()
	require.ErrorContains(t, r.Err(), "number tag 3")
}

// Nanos takes a varint of the milliseconds when they are whole, those and
// the nanoseconds past them otherwise; every int64 reads back exactly,
// negative ones and the extremes among them.
func TestNanosKeepsEveryValueAndIsShortInWholeMilliseconds(t *testing.T) {
	for _, tc := range []struct {
		ns    int64
		bytes int
	}{
		{0, 1},
		{int64(time.Millisecond), 1},
		{-int64(time.Millisecond), 1},
		{int64(30 * time.Minute), 4},
		{-int64(30 * time.Minute), 4},
		{1, 2},
		{-1, 4},
		{int64(1500 * time.Microsecond), 4},
		{time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC).UnixNano(), 7},
		{math.MaxInt64, 10},
		{math.MinInt64, 10},
	} {
		w := &Writer{}
		w.Nanos(tc.ns)
		assert.Len(t, w.Buf, tc.bytes, "%d", tc.ns)
		r := binread.New(w.Buf)
		assert.Equal(t, tc.ns, r.Nanos(), "%d", tc.ns)
		require.NoError(t, r.Err())
		assert.Zero(t, r.Len())
	}
}

// Nanoseconds past a millisecond are 1 to 999,999: anything else is
// corrupt, not a time.
func TestNanosRefusesNanosecondsThatAreNotPastAMillisecond(t *testing.T) {
	for _, rest := range []uint64{0, uint64(time.Millisecond)} {
		w := &Writer{}
		w.Uvarint(1)
		w.Uvarint(rest)
		r := binread.New(w.Buf)
		r.Nanos()
		require.ErrorContains(t, r.Err(), "nanoseconds past a millisecond", "%d", rest)
	}
}

// A writer numbered from what a reader read writes on as the writer the
// reader read did: the strings of the first encoding take their numbers in
// the second.
func TestStringsOfGoesOnWhereTheReadingLeftOff(t *testing.T) {
	first := &Writer{}
	var written Strings
	for _, s := range []string{"a", "b", "a"} {
		first.Interned(&written, s)
	}
	var read binread.Strings
	r := binread.New(first.Buf)
	for range 3 {
		r.Interned(&read)
	}
	require.NoError(t, r.Err())
	assert.Equal(t, []string{"a", "b"}, read.List())

	second := &Writer{}
	goesOn := StringsOf(read.List())
	for _, s := range []string{"b", "c", "a", "c"} {
		second.Interned(goesOn, s)
	}
	assert.Equal(t, []byte{2, 0, 1, 'c', 1, 3}, second.Buf, "b and a by their numbers, c once")
	r = binread.New(second.Buf)
	var got []string
	for range 4 {
		got = append(got, r.Interned(&read))
	}
	require.NoError(t, r.Err())
	assert.Equal(t, []string{"b", "c", "a", "c"}, got)
}
