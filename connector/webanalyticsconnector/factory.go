// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadata"
)

// NewFactory creates a factory for the web analytics connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		metadata.Type,
		createDefaultConfig,
		connector.WithLogsToMetrics(createLogsToMetrics, metadata.LogsToMetricsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		TopK:                   50,
		MaxSeriesPerSite:       2_000,
		MaxSeries:              20_000,
		CurrentVisitorsWindow:  5 * time.Minute,
		FlushInterval:          250 * time.Millisecond,
		HourlyRefreshInterval:  10 * time.Second,
		RevenueDedupMaxEntries: 100_000,
		RevenueDedupWindow:     24 * time.Hour,
	}
}

func createLogsToMetrics(ctx context.Context, set connector.Settings, cfg component.Config, next consumer.Metrics) (connector.Logs, error) {
	return newConnector(cfg.(*Config), set, next, clockwork.FromContext(ctx))
}
