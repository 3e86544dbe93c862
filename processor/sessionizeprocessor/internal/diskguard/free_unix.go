// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package diskguard // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/diskguard"

import "syscall"

// freeBytes is what an unprivileged process may still write on the
// filesystem of dir.
func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil //nolint:unconvert // the field types differ by platform
}
