// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package retrybackoff turns a configretry.BackOffConfig into the delays of
// a retry loop, so that every loop of ours that waits between tries (the
// sessionizer's delivery, kafkastream's offers to a partition, the Kafka
// spill's drainer) reads the collector's retry settings the same way.
package retrybackoff // import "github.com/footfall-analytics/footfall/internal/retrybackoff"

import (
	"github.com/cenkalti/backoff/v7"
	"go.opentelemetry.io/collector/config/configretry"
)

// New is the delays of cfg: initial_interval, growing by multiplier up to
// max_interval, each randomized by randomization_factor. It never stops by
// itself: max_elapsed_time is the caller's to apply, since each loop ends
// on its own terms (a deadline, a shutdown).
func New(cfg configretry.BackOffConfig) *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     cfg.InitialInterval,
		RandomizationFactor: cfg.RandomizationFactor,
		Multiplier:          cfg.Multiplier,
		MaxInterval:         cfg.MaxInterval,
	}
	b.Reset()
	return b
}
