// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"bytes"
	"encoding/gob"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gobState encodes st as builds before stateVersion 3 did.
func gobState(t *testing.T, st *savedState) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(st))
	return buf.Bytes()
}

// savedChain is a base and a delta of an aggregator that counted the
// journeys, and what it exports after them (the ground truth).
func savedChain(t *testing.T) (base, delta []byte, want map[string]float64) {
	t.Helper()
	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	a.consume(logsOf(journeys()...), t0)
	base, err = a.saveBase(t0, 1)
	require.NoError(t, err)
	a.consume(logsOf(journeys()[:3]...), t0.Add(time.Minute))
	delta, err = a.saveDelta(t0, 2, 1)
	require.NoError(t, err)
	md, _ := a.metrics(t0, t0.Add(2*time.Minute))
	return base, delta, pointValues(md)
}

// restoredValues restores an aggregator from base and delta and returns
// what it exports.
func restoredValues(t *testing.T, base, delta []byte) map[string]float64 {
	t.Helper()
	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	st, err := decodeState(base)
	require.NoError(t, err)
	require.NoError(t, a.restore(st))
	st, err = decodeState(delta)
	require.NoError(t, err)
	require.NoError(t, a.applyDelta(st))
	md, _ := a.metrics(t0, t0.Add(2*time.Minute))
	return pointValues(md)
}

func TestABaseAndDeltaRestoreWhatWasCounted(t *testing.T) {
	base, delta, want := savedChain(t)
	require.NotEmpty(t, want)
	assert.Equal(t, want, restoredValues(t, base, delta))
}

// A chain an earlier build wrote (gob, version 2) is still read, and
// restores the same counts as this build's encoding of the same saves.
func TestAChainOfTheGobEncodingIsStillRead(t *testing.T) {
	base, delta, want := savedChain(t)
	var older [2][]byte
	for i, data := range [][]byte{base, delta} {
		st, err := decodeState(data)
		require.NoError(t, err)
		st.Version = 2
		older[i] = gobState(t, &st)
	}
	assert.Equal(t, want, restoredValues(t, older[0], older[1]))
}

// The encoding leaves out gob's descriptions of the types, which a gob
// stream carries whole in every save.
func TestTheEncodingIsSmallerThanGobs(t *testing.T) {
	base, delta, _ := savedChain(t)
	for _, data := range [][]byte{base, delta} {
		st, err := decodeState(data)
		require.NoError(t, err)
		t.Logf("%d bytes, %d as gob", len(data), len(gobState(t, &st)))
		assert.Less(t, len(data), len(gobState(t, &st)))
	}
}

func TestAStateOfAnUnknownVersionIsRefused(t *testing.T) {
	_, err := decodeState([]byte{binaryStateMagic, 9})
	require.ErrorContains(t, err, "version 9; this build reads versions 1 to 3")
	_, err = decodeState([]byte{binaryStateMagic, 2})
	require.ErrorContains(t, err, "version 2; this build reads versions 1 to 3 (those before 3 as gob streams)")
	base, _, _ := savedChain(t)
	for n := 1; n < len(base); n++ {
		_, err = decodeState(base[:n])
		require.Error(t, err, "cut at %d bytes", n)
	}
}
