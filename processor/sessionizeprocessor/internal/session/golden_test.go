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
// remembered ended ones, sessions at spanVersion. Regenerate it (with
// UPDATE_GOLDEN set) only when the format changes, and checkpointVersion
// with it; keep the ones before, as olderGoldenCheckpoints are kept.
const goldenCheckpoint = "testdata/checkpoint-v2-sessions-v7.bin"

// olderGoldenCheckpoints are the same state as earlier builds wrote it, so
// that a base an earlier build wrote is read by this one: sessions at
// compactVersion (d562738), and at version 5, by the build before Take
// laid the encoding out (4f00a32).
var olderGoldenCheckpoints = []string{"testdata/checkpoint-v2-sessions-v6.bin", "testdata/checkpoint-v2.bin"}

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

func TestCheckpointsOfTheVersionsBeforeAreStillRead(t *testing.T) {
	for _, path := range olderGoldenCheckpoints {
		older, err := os.ReadFile(path)
		require.NoError(t, err)
		restored := newSitesRun()
		require.NoError(t, restored.sites.Restore(older), path)
		assert.Equal(t, dumpSites(goldenSites(t)), dumpSites(restored.sites), path)
		assert.Less(t, len(goldenSites(t).Checkpoint()), len(older), "%s: this build's encoding is smaller", path)
	}
}
