// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
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
		md, _ := a.metrics(t0, t0.Add(time.Minute))
		for key, v := range pointValues(md) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s = %v", key, v)
			}
			if v < 0 {
				t.Fatalf("%s = %v, below zero", key, v)
			}
		}
	})
}
