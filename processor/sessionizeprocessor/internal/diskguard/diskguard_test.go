// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package diskguard

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReserveComesFromTheLastCheckpoint(t *testing.T) {
	free := int64(100 << 20)
	g := New("/wal", 0, func(string) (int64, error) { return free, nil }, fixedClock)
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
	g := New("/wal", 1<<20, func(string) (int64, error) { return 3 << 20, nil }, fixedClock)
	g.CheckpointWritten(100 << 20)
	assert.Equal(t, int64(1<<20), g.Reserve(), "a configured reserve is not derived")
	require.NoError(t, g.Admit(2<<20))
	require.ErrorIs(t, g.Admit(2<<20+1), ErrLow)
}

func TestUnreadableFilesystemAdmits(t *testing.T) {
	g := New("/wal", 0, func(string) (int64, error) { return 0, errors.New("no statfs") }, fixedClock)
	assert.NoError(t, g.Admit(1<<30))
}

func TestFreeBytesOfARealDirectory(t *testing.T) {
	free, err := New(t.TempDir(), 0, nil, time.Now).Free()
	require.NoError(t, err)
	assert.Positive(t, free)
}

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

// A reading of the free space stands for the writes admitted after it for
// readingMaxAge, while they take at most half the room above the reserve;
// past either, the filesystem is read again, and what another writer took
// meanwhile is seen.
func TestAReadingStandsForTheWritesAfterIt(t *testing.T) {
	free, reads := int64(MinReserve+100<<20), 0
	now := t0
	g := New("/wal", 0, func(string) (int64, error) { reads++; return free, nil }, func() time.Time { return now })

	for range 50 {
		require.NoError(t, g.Admit(1<<20))
	}
	assert.Equal(t, 1, reads, "50 MiB of the 100 above the reserve: one reading")
	require.NoError(t, g.Admit(1<<20))
	assert.Equal(t, 2, reads, "past half the room: read again")

	free = MinReserve + 10 // another writer filled the disk
	require.NoError(t, g.Admit(1<<20), "the reading of 100 MiB above the reserve stands")
	now = now.Add(readingMaxAge)
	require.ErrorIs(t, g.Admit(1<<20), ErrLow, "once it is readingMaxAge old, the full disk is seen")
	assert.Equal(t, 3, reads)

	free = 10 << 30
	require.NoError(t, g.Admit(1<<20), "a reading near the reserve does not stand: space returned is seen at once")
	assert.Equal(t, 4, reads)
}

// A reading stands for nothing once the reserve grew past what it covers.
func TestAReadingStandsForNothingOnceTheReserveGrew(t *testing.T) {
	free, reads := int64(MinReserve+100<<20), 0
	g := New("/wal", 0, func(string) (int64, error) { reads++; return free, nil }, fixedClock)
	require.NoError(t, g.Admit(1<<20))
	g.CheckpointWritten((MinReserve + 100<<20) / 2)
	require.ErrorIs(t, g.Admit(1<<20), ErrLow, "the reserve is now all the free space")
	assert.Equal(t, 2, reads)
}
