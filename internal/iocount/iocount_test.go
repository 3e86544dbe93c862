// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package iocount

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriterCountsWhatItPassesOn(t *testing.T) {
	var out bytes.Buffer
	w := &Writer{W: &out}
	for _, s := range []string{"ab", "", "cde"} {
		n, err := w.Write([]byte(s))
		require.NoError(t, err)
		assert.Equal(t, len(s), n)
	}
	assert.Equal(t, int64(5), w.N)
	assert.Equal(t, "abcde", out.String())
}
