// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBody gives the bytes io.ReadAll gives, whatever the declared length
// says and however the reader hands them over.
func TestReadBodyReadsWhatIsSent(t *testing.T) {
	small := bytes.Repeat([]byte("a"), 5000)
	large := bytes.Repeat([]byte("b"), 3*maxBodyPresize+7)
	readers := map[string]func([]byte) io.Reader{
		"plain":        func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one_byte":     func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"data_and_eof": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"half":         func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for _, body := range [][]byte{nil, small, large} {
		for name, reader := range readers {
			// Declared: unknown, exact, too small (a compressed body's
			// length), too large.
			for _, declared := range []int64{-1, int64(len(body)), int64(len(body) / 3), int64(len(body)) + 100} {
				got, err := readBody(reader(body), declared)
				require.NoError(t, err, "%s, %d bytes declared %d", name, len(body), declared)
				assert.Equal(t, len(body), len(got), "%s, declared %d", name, declared)
				assert.True(t, bytes.Equal(body, got), "%s, declared %d", name, declared)
			}
		}
	}
}

// A body declared large but not sent takes no more than maxBodyPresize; an
// exact declaration of a batch-sized body is read without growing.
func TestReadBodyPresizesWithinItsBound(t *testing.T) {
	got, err := readBody(bytes.NewReader(nil), 10<<20)
	require.NoError(t, err)
	assert.LessOrEqual(t, cap(got), maxBodyPresize)

	body := bytes.Repeat([]byte("c"), 8000)
	got, err = readBody(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	assert.Equal(t, len(body)+1, cap(got), "one buffer of the declared size")
}

// A failing read is returned, with what was read before it.
func TestReadBodyReturnsTheReadError(t *testing.T) {
	broken := errors.New("connection reset")
	got, err := readBody(io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(broken)), 100)
	require.ErrorIs(t, err, broken)
	assert.Equal(t, []byte("abc"), got)
}
