// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package durablefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A write replaces the file whole; a failed one leaves the old file and no
// temporary file.
func TestWriteReplacesTheFileWholeOrNotAtAll(t *testing.T) {
	dir := t.TempDir()
	n, err := Write(dir, "state", func(w io.Writer) error {
		_, err := io.WriteString(w, "first")
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)

	broken := errors.New("encoder failed")
	_, err = Write(dir, "state", func(w io.Writer) error {
		_, _ = io.WriteString(w, "half of the second")
		return broken
	})
	require.ErrorIs(t, err, broken)
	data, err := os.ReadFile(filepath.Join(dir, "state"))
	require.NoError(t, err)
	assert.Equal(t, "first", string(data), "the old file stays")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left")

	_, err = Write(dir, "../escape", func(io.Writer) error { return nil })
	require.Error(t, err, "a name that leaves the directory is refused")
	require.Error(t, SyncDir(filepath.Join(dir, "missing")))
}
