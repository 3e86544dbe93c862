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

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/binwrite"
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
	chain := &binread.Strings{}
	st, err := decodeState(base, chain)
	require.NoError(t, err)
	require.NoError(t, a.restore(st))
	st, err = decodeState(delta, chain)
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

// decodedChain is base and delta as read.
func decodedChain(t *testing.T, base, delta []byte) []savedState {
	t.Helper()
	chain := &binread.Strings{}
	var saves []savedState
	for _, data := range [][]byte{base, delta} {
		st, err := decodeState(data, chain)
		require.NoError(t, err)
		saves = append(saves, st)
	}
	return saves
}

// A chain an earlier build wrote (gob, version 2) is still read, and
// restores the same counts as this build's encoding of the same saves.
func TestAChainOfTheGobEncodingIsStillRead(t *testing.T) {
	base, delta, want := savedChain(t)
	var older [2][]byte
	for i, st := range decodedChain(t, base, delta) {
		st.Version = 2
		older[i] = gobState(t, &st)
	}
	assert.Equal(t, want, restoredValues(t, older[0], older[1]))
}

// version3Chain is base and delta as version 3 wrote them: each save
// numbered its own strings.
func version3Chain(t *testing.T, base, delta []byte) [2][]byte {
	t.Helper()
	var older [2][]byte
	for i, st := range decodedChain(t, base, delta) {
		st.Version = 3
		data, err := encodeState(&st, &binwrite.Strings{})
		require.NoError(t, err)
		older[i] = data
	}
	return older
}

// A chain of version 3 is still read, and restores the same counts.
func TestAChainOfVersion3IsStillRead(t *testing.T) {
	base, delta, want := savedChain(t)
	older := version3Chain(t, base, delta)
	assert.Equal(t, want, restoredValues(t, older[0], older[1]))
}

// A delta names the strings its base wrote by their numbers: it is
// smaller than the same delta was at version 3, where it wrote each whole
// again. The base is the same size.
func TestADeltaGoesOnWithItsChainsStrings(t *testing.T) {
	base, delta, _ := savedChain(t)
	older := version3Chain(t, base, delta)
	t.Logf("delta %d bytes, %d at version 3", len(delta), len(older[1]))
	assert.Len(t, base, len(older[0]))
	assert.Less(t, len(delta), len(older[1])*3/4)
	_, err := decodeState(delta, nil)
	require.ErrorContains(t, err, "string number", "read alone, it names strings it did not write")
}

// The encoding leaves out gob's descriptions of the types, which a gob
// stream carries whole in every save.
func TestTheEncodingIsSmallerThanGobs(t *testing.T) {
	base, delta, _ := savedChain(t)
	for i, st := range decodedChain(t, base, delta) {
		data := [][]byte{base, delta}[i]
		t.Logf("%d bytes, %d as gob", len(data), len(gobState(t, &st)))
		assert.Less(t, len(data), len(gobState(t, &st)))
	}
}

func TestAStateOfAnUnknownVersionIsRefused(t *testing.T) {
	_, err := decodeState([]byte{binaryStateMagic, 9}, nil)
	require.ErrorContains(t, err, "version 9; this build reads versions 1 to 4")
	_, err = decodeState([]byte{binaryStateMagic, 2}, nil)
	require.ErrorContains(t, err, "version 2; this build reads versions 1 to 4 (those before 3 as gob streams)")
	base, _, _ := savedChain(t)
	for n := 1; n < len(base); n++ {
		_, err = decodeState(base[:n], nil)
		require.Error(t, err, "cut at %d bytes", n)
	}
}
