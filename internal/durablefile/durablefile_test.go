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

// A file made with Create is invisible under its name until Commit, takes
// writes at offsets, and leaves nothing when aborted.
func TestCreateWritesAtOffsetsAndCommitsWhole(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir, "base")
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("tail"), 4)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("head"), 0)
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "base"))
	require.ErrorIs(t, err, os.ErrNotExist, "not there before Commit")
	require.NoError(t, f.Commit())
	data, err := os.ReadFile(filepath.Join(dir, "base"))
	require.NoError(t, err)
	assert.Equal(t, "headtail", string(data))

	f, err = Create(dir, "base")
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("other"), 0)
	require.NoError(t, err)
	f.Abort()
	data, err = os.ReadFile(filepath.Join(dir, "base"))
	require.NoError(t, err)
	assert.Equal(t, "headtail", string(data), "an aborted file leaves the old one")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "and no temporary file")

	_, err = Create(dir, "a/b")
	require.Error(t, err)
}
