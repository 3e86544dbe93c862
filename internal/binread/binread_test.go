// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package binread

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadsWhatWasWritten(t *testing.T) {
	data := []byte{7}
	data = binary.AppendUvarint(data, 300)
	data = binary.AppendVarint(data, -42)
	data = binary.AppendUvarint(data, 3)
	data = append(data, "abc"...)
	r := New(data)
	assert.Equal(t, byte(7), r.Byte())
	assert.Equal(t, uint64(300), r.Uvarint())
	assert.Equal(t, int64(-42), r.Varint())
	assert.Equal(t, []byte("abc"), r.Bytes())
	require.NoError(t, r.Err())
	assert.Zero(t, r.Len())
}

// The first error sticks, and a length longer than the data is refused
// before anything is allocated for it.
func TestCorruptDataFailsOnce(t *testing.T) {
	r := New(binary.AppendUvarint(nil, 1<<40))
	assert.Nil(t, r.Bytes())
	require.ErrorContains(t, r.Err(), "exceeds")
	first := r.Err()
	assert.Zero(t, r.Byte())
	assert.Zero(t, r.Uvarint())
	assert.Equal(t, first, r.Err())

	r = New(nil)
	r.Varint()
	assert.ErrorIs(t, r.Err(), ErrShort)
}

// Fixed-width reads and exact-length slices; a caller's own complaint
// sticks like a short read.
func TestFixedAndNextAndFail(t *testing.T) {
	data := binary.LittleEndian.AppendUint64(nil, 3)
	data = append(data, "xyz!"...)
	r := New(data)
	assert.Equal(t, []byte("xyz"), r.Next(r.Fixed64()))
	assert.Equal(t, 1, r.Len())
	assert.Nil(t, r.Next(2), "more than is left")
	require.ErrorContains(t, r.Err(), "2 bytes wanted, 1 left")

	r = New([]byte{1, 2})
	assert.Zero(t, r.Fixed64())
	require.ErrorIs(t, r.Err(), ErrShort)

	r = New([]byte{5})
	complaint := errors.New("bad value")
	r.Fail(complaint)
	r.Fail(errors.New("later"))
	assert.Zero(t, r.Byte())
	assert.Equal(t, complaint, r.Err())
}
