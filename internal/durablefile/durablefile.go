// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package durablefile writes a file so that a crash leaves either the old
// file or the whole new one, never a part: the way the archive, the visitor
// salt and the sessionizer's checkpoint bases are written.
package durablefile // import "github.com/footfall-analytics/footfall/internal/durablefile"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/footfall-analytics/footfall/internal/iocount"
)

// Write writes the file name in dir through write: into a hidden temporary
// file beside it (readers that skip dot-files never see it, and TempPrefix
// names it), synced, renamed into place, and the directory synced so that
// the rename survives a crash. It returns the bytes written. On an error
// the temporary file is removed and the old file, if any, stays.
func Write(dir, name string, write func(io.Writer) error) (int64, error) {
	f, err := Create(dir, name)
	if err != nil {
		return 0, err
	}
	counted := &iocount.Writer{W: f}
	if err := write(counted); err != nil {
		f.Abort()
		return 0, err
	}
	return counted.N, f.Commit()
}

// File is a file being written whole, as Write does, by a writer that
// needs more than an io.Writer (WriteAt, ReadAt): it is the hidden
// temporary file until Commit.
type File struct {
	*os.File
	dir, name string
}

// Create starts the file name in dir.
func Create(dir, name string) (*File, error) {
	if name == "" || filepath.Base(name) != name || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("file name %q is not a name in the directory", name)
	}
	tmp, err := os.CreateTemp(dir, TempPrefix(name)+"*")
	if err != nil {
		return nil, err
	}
	return &File{File: tmp, dir: dir, name: name}, nil
}

// Commit syncs the file, renames it into place and syncs the directory. On
// an error the temporary file is removed and the old file, if any, stays.
func (f *File) Commit() error {
	err := errors.Join(f.Sync(), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(f.dir, f.name))
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return err
	}
	return SyncDir(f.dir)
}

// Abort closes and removes the temporary file; the old file, if any, stays.
func (f *File) Abort() {
	_ = f.Close()
	_ = os.Remove(f.Name())
}

// TempPrefix starts the name of the temporary file Write writes name
// through, which a crash can leave behind.
func TempPrefix(name string) string { return "." + name + ".tmp-" }

// SyncDir syncs a directory, so that the files created, renamed or removed
// in it stay so after a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir) // #nosec G304 -- a directory the caller owns
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
