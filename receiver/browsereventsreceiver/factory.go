// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadata"
)

const (
	defaultEndpoint           = "localhost:4319"
	defaultMaxRequestBodySize = 1 << 20
)

// NewFactory creates a factory for the browser events receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	server.MaxRequestBodySize = defaultMaxRequestBodySize
	return &Config{
		ServerConfig: server,
		RateLimit: RateLimitConfig{
			Enabled:         true,
			EventsPerSecond: 300,
			Burst:           600,
			MaxClients:      100_000,
		},
		Bots: BotsDrop,
		Limits: LimitsConfig{
			MaxEventsPerRequest:    100,
			MaxAttributesPerEvent:  64,
			MaxAttributeValueBytes: 2048,
		},
		UserAgentCacheSize: 10_000,
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(cfg.(*Config), set, next)
}
