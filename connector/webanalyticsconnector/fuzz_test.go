// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/binwrite"
)

// FuzzConsume counts whatever records arrive (decoded from arbitrary OTLP
// bytes): it never panics, and no exported value is NaN, infinite, or a
// counter below zero.
func FuzzConsume(f *testing.F) {
	seed, err := (&plog.ProtoMarshaler{}).MarshalLogs(logsOf(journeys()...))
	require.NoError(f, err)
	f.Add(seed)
	hostile, err := (&plog.ProtoMarshaler{}).MarshalLogs(untrusted(shopAt(sessionEnd("x", time.Hour, "footfall.session.duration_ms", "NaN"))))
	require.NoError(f, err)
	f.Add(hostile)
	f.Fuzz(func(t *testing.T, data []byte) {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(data)
		if err != nil {
			return
		}
		a, err := newAggregator(testConfig())
		require.NoError(t, err)
		a.consume(ld, t0)
		requireSaneValues(t, a)
	})
}

// FuzzRestoreState restores a saved base, then applies a saved delta, both
// arbitrary bytes: the changelog topic of the processing tier is open to
// whoever reaches the brokers, as the events topic is. Neither panics, and
// a state that restores exports no NaN, infinite or negative value.
func FuzzRestoreState(f *testing.F) {
	a, err := newAggregator(testConfig())
	require.NoError(f, err)
	a.consume(logsOf(journeys()...), t0)
	base, err := a.saveBase(t0, 1)
	require.NoError(f, err)
	a.consume(logsOf(journeys()[:3]...), t0.Add(time.Minute))
	delta, err := a.saveDelta(t0, 2, 1)
	require.NoError(f, err)
	f.Add(base, delta)
	f.Add(delta, base)
	// A base with a series that fits no metric: the fuzzer mutates from it.
	st, err := decodeState(base, nil)
	require.NoError(f, err)
	st.Series = append(st.Series, savedSeries{Metric: labelledCounter(f).name, Site: "shop", Value: 3})
	misfit, err := encodeState(&st, &binwrite.Strings{})
	require.NoError(f, err)
	f.Add(misfit, delta)
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		a, err := newAggregator(testConfig())
		require.NoError(t, err)
		chain := &binread.Strings{}
		st, err := decodeState(base, chain)
		if err != nil || a.restore(st) != nil {
			return
		}
		requireSaneValues(t, a)
		if st, err = decodeState(delta, chain); err != nil || a.applyDelta(st) != nil {
			return
		}
		requireSaneValues(t, a)
	})
}

// requireSaneValues checks that a exports no NaN, infinite or negative
// value.
func requireSaneValues(t *testing.T, a *aggregator) {
	t.Helper()
	md, _ := a.metrics(t0, t0.Add(time.Minute))
	for key, v := range pointValues(md) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s = %v", key, v)
		}
		if v < 0 {
			t.Fatalf("%s = %v, below zero", key, v)
		}
	}
}
