// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package binwrite

import (
	"math"
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
