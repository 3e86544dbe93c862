// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package writable

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDir(t *testing.T) {
	dir := t.TempDir()
	assert.NoError(t, Dir(dir))
	assert.NoError(t, Dir(filepath.Join(dir, "not", "yet")), "created by the component")
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	assert.ErrorContains(t, Dir(file), "is not a directory")
	assert.ErrorContains(t, Dir(filepath.Join(file, "below")), "is not a directory")
}

// Root may write a directory without write permission; this part runs as
// any other user.
func TestDirWithoutPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes every directory: TestDir covers what root can be refused")
	}
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	require.NoError(t, os.Mkdir(locked, 0o500))
	assert.ErrorContains(t, Dir(locked), "is not writable by this user")
	assert.ErrorContains(t, Dir(filepath.Join(locked, "wal")), "cannot be created")
}
