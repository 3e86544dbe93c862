// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package chunks

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What is appended in steps, cut into pieces, reads back whole and in order.
func TestBufferKeepsWhatIsAppendedInOrder(t *testing.T) {
	var b Buffer
	var want []byte
	for i := range 12000 {
		record := bytes.Repeat([]byte{byte(i)}, 1+i%700)
		b.Tail = append(b.Tail, record...)
		b.Cut()
		want = append(want, record...)
	}
	assert.Greater(t, len(b.full), 1, "the buffer was cut into pieces")
	assert.Equal(t, len(want), b.Len())
	assert.Equal(t, want, b.Bytes())
	assert.Equal(t, append([]byte("head"), want...), b.AppendTo([]byte("head")))
	var written bytes.Buffer
	n, err := b.WriteTo(&written)
	require.NoError(t, err)
	assert.Equal(t, int64(len(want)), n)
	assert.Equal(t, want, written.Bytes(), "WriteTo writes the pieces in order")
}
