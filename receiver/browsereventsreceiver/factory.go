// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"context"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/clientip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadata"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/referrer"
)

const (
	defaultEndpoint           = "localhost:4319"
	defaultMaxRequestBodySize = 1 << 20
	// defaultReadTimeout bounds how long a client may take to send its
	// request, body included: a slow body holds a connection and a buffer.
	defaultReadTimeout = 20 * time.Second
	// defaultWriteTimeout bounds a request from its headers to the end of
	// the answer: an answer is small and a durable append takes
	// milliseconds, so a client that reads its answer slowly holds nothing long.
	defaultWriteTimeout = 10 * time.Second
	// The paths Faro and Plausible post to on their own servers.
	defaultFaroPath      = "/collect"
	defaultPlausiblePath = "/api/event"
)

// defaultQueryParameters are kept in stored URLs: the campaign parameters
// and the ad click ids the receiver reads for attribution.
var defaultQueryParameters = append([]string{"utm_*"}, referrer.ClickIDParameters...)

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
	server.ReadTimeout = defaultReadTimeout
	server.WriteTimeout = defaultWriteTimeout
	return &Config{
		ServerConfig:    server,
		ForwardedHeader: clientip.HeaderXForwardedFor,
		Privacy: PrivacyConfig{
			QueryParameters:    slices.Clone(defaultQueryParameters),
			HonorOptOutHeaders: true,
		},
		RateLimit: RateLimitConfig{
			Enabled:         true,
			EventsPerSecond: 300,
			Burst:           600,
			MaxClients:      100_000,
			BytesPerToken:   4096,
		},
		Bots:              BotsDrop,
		BlockReferrerSpam: true,
		Limits: LimitsConfig{
			MaxEventsPerRequest:    100,
			MaxAttributesPerEvent:  64,
			MaxAttributeValueBytes: 2048,
			MaxResourceBytes:       4096,
			MaxAttributeKeyBytes:   128,
			MaxEventBytes:          16 << 10,
		},
		UserAgentCacheSize: 10_000,
		Faro:               IngestPathConfig{Enabled: true, Path: defaultFaroPath},
		Plausible:          IngestPathConfig{Enabled: true, Path: defaultPlausiblePath},
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newReceiver(cfg.(*Config), set, next)
}
