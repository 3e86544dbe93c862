// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package store // import "github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/store"

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Dir keeps files under a root directory.
type Dir struct{ Root string }

// Put writes to a hidden temporary file beside the target (readers that
// skip dot-files, as DuckDB, Spark and Hive do, never see it), syncs it,
// and renames it into place; the directory is synced so that the rename
// survives a crash.
func (d Dir) Put(_ context.Context, key string, write func(io.Writer) error) (int64, error) {
	if strings.Contains(key, "..") || filepath.IsAbs(key) {
		return 0, fmt.Errorf("archive key %q escapes the directory", key)
	}
	target := filepath.Join(d.Root, filepath.FromSlash(key))
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return 0, err
	}
	n, err := writeSynced(tmp, write)
	if err != nil {
		_ = os.Remove(tmp.Name())
		return 0, err
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, err
	}
	return n, syncDir(dir)
}

// writeSynced runs write into f through a buffer, then syncs and closes f.
func writeSynced(f *os.File, write func(io.Writer) error) (int64, error) {
	counted := &CountingWriter{W: f}
	buf := bufio.NewWriterSize(counted, 1<<20)
	err := write(buf)
	if err == nil {
		err = buf.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	return counted.N, err
}

func syncDir(dir string) error {
	f, err := os.Open(dir) // #nosec G304 -- the archive's own directory
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
