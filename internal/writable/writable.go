// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package writable tells, at config validation, whether a directory a
// component will write can be written: so that `footfall validate` says so
// before a start fails on it.
package writable // import "github.com/footfall-analytics/footfall/internal/writable"

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Dir reports why this process could not write files in dir: dir must be
// a directory it may write and enter, or, when it does not exist yet, its
// nearest existing ancestor must be (the component creates the rest).
// As root only a read-only filesystem refuses.
func Dir(dir string) error {
	path := filepath.Clean(dir)
	for {
		info, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, unix.ENOTDIR):
			parent := filepath.Dir(path)
			if parent == path {
				return fmt.Errorf("%s: no part of it exists", dir)
			}
			path = parent
			continue
		case err != nil:
			return err
		case !info.IsDir():
			return fmt.Errorf("%s is not a directory", path)
		}
		if err := unix.Access(path, unix.W_OK|unix.X_OK); err != nil {
			if path == filepath.Clean(dir) {
				return fmt.Errorf("%s is not writable by this user: %w", path, err)
			}
			return fmt.Errorf("%s does not exist and cannot be created: %s is not writable by this user: %w", dir, path, err)
		}
		return nil
	}
}
