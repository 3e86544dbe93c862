// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A restored ring counts exactly what the saved one did, and goes on
// counting into the same windows.
func TestCheckpointRoundTrip(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	start := time.Date(2026, 11, 30, 22, 30, 0, 0, time.UTC)
	saved := New(berlin)
	for i := range 3000 {
		saved.Add(fmt.Sprintf("v%d", i%1200), start.Add(time.Duration(i)*time.Second))
	}
	data, err := saved.MarshalBinary()
	require.NoError(t, err)
	restored := New(berlin)
	require.NoError(t, restored.UnmarshalBinary(data))

	end := start.Add(3000 * time.Second)
	assert.Equal(t, saved.Estimate(end), restored.Estimate(end))
	assert.Equal(t, saved.EstimateLast(end, 5), restored.EstimateLast(end, 5))
	for _, w := range []*Windows{saved, restored} {
		w.Add("new-visitor", end)
	}
	assert.Equal(t, saved.Estimate(end), restored.Estimate(end))
	assert.Positive(t, restored.Estimate(end).Today)
}

func TestCheckpointRefusesCorruptData(t *testing.T) {
	w := New(time.UTC)
	w.Add("v", time.Unix(1_700_000_000, 0))
	data, err := w.MarshalBinary()
	require.NoError(t, err)
	for _, bad := range [][]byte{nil, {99}, data[:len(data)/2], append(data, 1)} {
		assert.Error(t, New(time.UTC).UnmarshalBinary(bad))
	}
}
