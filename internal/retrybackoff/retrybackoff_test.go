// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package retrybackoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/config/configretry"
)

// The delays grow by the multiplier from initial_interval, stop growing at
// max_interval, stay within the randomization factor, and start again
// after Reset.
func TestDelaysFollowTheSettings(t *testing.T) {
	cfg := configretry.NewDefaultBackOffConfig()
	cfg.InitialInterval = 100 * time.Millisecond
	cfg.Multiplier = 2
	cfg.MaxInterval = 500 * time.Millisecond
	cfg.RandomizationFactor = 0.5
	b := New(cfg)
	for round := range 2 {
		for i, base := range []time.Duration{100, 200, 400, 500, 500, 500} {
			base *= time.Millisecond
			d := b.NextBackOff()
			assert.GreaterOrEqual(t, d, base/2, "round %d, try %d", round, i)
			assert.LessOrEqual(t, d, base*3/2, "round %d, try %d", round, i)
		}
		b.Reset()
	}

	cfg.RandomizationFactor = 0
	b = New(cfg)
	var got []time.Duration
	for range 5 {
		got = append(got, b.NextBackOff())
	}
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}, got)
}
