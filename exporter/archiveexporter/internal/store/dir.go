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

	"github.com/footfall-analytics/footfall/internal/durablefile"
	"github.com/footfall-analytics/footfall/internal/iocount"
)

// Dir keeps files under a root directory.
type Dir struct{ Root string }

// Put writes the target whole (internal/durablefile): through a hidden
// temporary file beside it, which readers that skip dot-files, as DuckDB,
// Spark and Hive do, never see.
func (d Dir) Put(_ context.Context, key string, write func(io.Writer) error) (int64, error) {
	if strings.Contains(key, "..") || filepath.IsAbs(key) {
		return 0, fmt.Errorf("archive key %q escapes the directory", key)
	}
	target := filepath.Join(d.Root, filepath.FromSlash(key))
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, err
	}
	return durablefile.Write(dir, filepath.Base(target), func(w io.Writer) error {
		buf := bufio.NewWriterSize(w, 1<<20)
		if err := write(buf); err != nil {
			return err
		}
		return buf.Flush()
	})
}

// writeSynced runs write into f through a buffer, then syncs and closes f.
func writeSynced(f *os.File, write func(io.Writer) error) (int64, error) {
	counted := &iocount.Writer{W: f}
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
