// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package store

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDirPutIsAtomicAndStaysInside(t *testing.T) {
	root := t.TempDir()
	d := Dir{Root: root}
	n, err := d.Put(context.Background(), "a/b/file.parquet", func(w io.Writer) error {
		_, err := w.Write([]byte("whole"))
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, int64(5), n)
	data, err := os.ReadFile(filepath.Join(root, "a", "b", "file.parquet"))
	require.NoError(t, err)
	assert.Equal(t, "whole", string(data))

	_, err = d.Put(context.Background(), "a/b/broken.parquet", func(w io.Writer) error {
		_, _ = w.Write([]byte("half"))
		return errors.New("crash")
	})
	require.ErrorContains(t, err, "crash")
	entries, err := os.ReadDir(filepath.Join(root, "a", "b"))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no broken file and no temporary file")

	for _, key := range []string{"../escape.parquet", "a/../../escape.parquet", "/abs.parquet"} {
		_, err = d.Put(context.Background(), key, func(io.Writer) error { return nil })
		require.Error(t, err, key)
	}
}
