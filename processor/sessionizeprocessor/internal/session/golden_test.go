// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenCheckpoint is a checkpoint of two sites with open sessions and
// remembered ended ones, sessions at compactVersion. Regenerate it (with
// UPDATE_GOLDEN set) only when the format changes, and checkpointVersion
// with it; keep the one before, as olderGoldenCheckpoint is kept.
const goldenCheckpoint = "testdata/checkpoint-v2-sessions-v6.bin"

// olderGoldenCheckpoint is the same state as written before compactVersion
// (sessions at version 5), by the build before Take laid the encoding out
// (4f00a32): a base an earlier build wrote is read by this one.
const olderGoldenCheckpoint = "testdata/checkpoint-v2.bin"

func goldenSites(t *testing.T) *Sites {
	rng := rand.New(rand.NewPCG(5, 8))
	run := newSitesRun()
	run.feed(t, randomSitesStream(rng, 60)...)
	return run.sites
}

func TestCheckpointFormatIsTheGoldenOne(t *testing.T) {
	got := goldenSites(t).Checkpoint()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(goldenCheckpoint), 0o750))
		require.NoError(t, os.WriteFile(goldenCheckpoint, got, 0o600))
	}
	want, err := os.ReadFile(goldenCheckpoint)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	dump := dumpCheckpoint(t, want)
	assert.Greater(t, len(dump), 4, "the golden state has sessions and ended ones to read")
}

func TestACheckpointOfTheVersionBeforeIsStillRead(t *testing.T) {
	older, err := os.ReadFile(olderGoldenCheckpoint)
	require.NoError(t, err)
	restored := newSitesRun()
	require.NoError(t, restored.sites.Restore(older))
	assert.Equal(t, dumpSites(goldenSites(t)), dumpSites(restored.sites))
	assert.Less(t, len(goldenSites(t).Checkpoint()), len(older), "the compact encoding is smaller")
}
