// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/footfall-analytics/footfall/internal/kafkaclient"
)

// connectionOpts are the client options every Kafka client of the receiver
// shares: the connection settings and the request deadline.
func connectionOpts(ctx context.Context, cfg *Config) ([]kgo.Opt, error) {
	return kafkaclient.Options(ctx, cfg.ClientConfig, cfg.Timeout)
}
