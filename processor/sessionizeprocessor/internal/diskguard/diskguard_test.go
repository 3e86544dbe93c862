// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package diskguard

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReserveComesFromTheLastCheckpoint(t *testing.T) {
	free := int64(100 << 20)
	g := New("/wal", 0, func(string) (int64, error) { return free, nil })
	assert.Equal(t, int64(MinReserve), g.Reserve(), "at least the minimum before any checkpoint")
	require.NoError(t, g.Admit(30<<20))
	err := g.Admit(40 << 20)
	require.ErrorIs(t, err, ErrLow, "it would leave 60 MiB, less than 64")

	g.CheckpointWritten(45 << 20)
	assert.Equal(t, int64(90<<20), g.Reserve(), "twice the last checkpoint")
	require.ErrorIs(t, g.Admit(20<<20), ErrLow)
	require.NoError(t, g.Admit(10<<20))

	free = 10 << 30
	require.NoError(t, g.Admit(1<<20), "space returned: writes are admitted again")
}

func TestConfiguredReserve(t *testing.T) {
	g := New("/wal", 1<<20, func(string) (int64, error) { return 3 << 20, nil })
	g.CheckpointWritten(100 << 20)
	assert.Equal(t, int64(1<<20), g.Reserve(), "a configured reserve is not derived")
	require.NoError(t, g.Admit(2<<20))
	require.ErrorIs(t, g.Admit(2<<20+1), ErrLow)
}

func TestUnreadableFilesystemAdmits(t *testing.T) {
	g := New("/wal", 0, func(string) (int64, error) { return 0, errors.New("no statfs") })
	assert.NoError(t, g.Admit(1<<30))
}

func TestFreeBytesOfARealDirectory(t *testing.T) {
	free, err := New(t.TempDir(), 0, nil).Free()
	require.NoError(t, err)
	assert.Positive(t, free)
}
