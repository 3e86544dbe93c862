// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
)

// NewFactory creates a factory for the sessionize processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		InactivityTimeout:      30 * time.Minute,
		MaxDuration:            24 * time.Hour,
		SplitAtMidnight:        true,
		SplitOnCampaignChange:  true,
		TimeZone:               "UTC",
		AllowedLateness:        500 * time.Millisecond,
		MaxClockSkew:           5 * time.Minute,
		WatermarkIdleTimeout:   500 * time.Millisecond,
		DedupWindow:            10 * time.Minute,
		DedupMaxEntries:        1_000_000,
		ReturningVisitorWindow: 24 * time.Hour,
		MaxRememberedVisitors:  1_000_000,
		MaxSessions:            1_000_000,
		MaxPendingEvents:       200_000,
		MaxUndeliveredRecords:  200_000,
		NonEngagementEvents:    []string{schema.EventEngagement, schema.EventWebVital},
		CheckpointInterval:     30 * time.Second,
		DeliveryBackoff:        defaultDeliveryBackoff(),
		// The behaviour rules are off by default: with hashed visitor ids,
		// the people behind one address with one browser build are one
		// visitor, and a rule would drop them all (docs/bots.md).
		Bots: BotsConfig{Action: BotsDrop},
	}
}

// defaultDeliveryBackoff retries quickly (a next consumer that refuses is
// usually a full queue that drains in milliseconds), never giving up.
func defaultDeliveryBackoff() configretry.BackOffConfig {
	b := configretry.NewDefaultBackOffConfig()
	b.InitialInterval = 100 * time.Millisecond
	b.Multiplier = 2
	b.MaxInterval = 5 * time.Second
	b.MaxElapsedTime = 0
	return b
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	return newProcessor(cfg.(*Config), set, next, clockwork.FromContext(ctx))
}
