// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/metadata"
)

// NewFactory creates a factory for the live view exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = "localhost:4320"
	// A request is a GET; whoever takes longer than this to send one holds
	// a connection for nothing (streams clear it once they start).
	server.ReadTimeout = 10 * time.Second
	return &Config{
		ServerConfig: server,
		MaxClients:   16,
		MaxSites:     100,
		TopN:         10,
		TimeZone:     "UTC",
		AllowedHosts: []string{"localhost", "127.0.0.1", "::1"},
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	e, err := newExporter(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	// No queue and no retry: a snapshot is computed in memory, and the next
	// push (a second later) supersedes a lost one.
	return exporterhelper.NewMetrics(ctx, set, cfg, e.consumeMetrics,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
	)
}
