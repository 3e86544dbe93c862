// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadata"
)

// NewFactory creates a factory for the kafkastream receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithMetrics(createMetrics, metadata.MetricsStability),
		receiver.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	sessionize := sessionizeprocessor.NewFactory().CreateDefaultConfig().(*sessionizeprocessor.Config)
	// A partition's checkpoint goes to Kafka: more often than the
	// processor's file default keeps the write-ahead part of the changelog,
	// which repeats each record's events, small. Not at every commit: each
	// checkpoint after a base is a delta of the sessionizer's and the
	// aggregator's state, but a base is rewritten once the deltas overwrite
	// three times what it holds: the aggregator's (sketches of up to 64 KiB
	// per site and window) once its deltas add up to three times it, the
	// sessionizer's once base and deltas are four times its state.
	sessionize.CheckpointInterval = 10 * time.Second
	webanalytics := webanalyticsconnector.NewFactory().CreateDefaultConfig().(*webanalyticsconnector.Config)
	return &Config{
		ClientConfig:       configkafka.NewDefaultClientConfig(),
		Topic:              "footfall.events",
		CreateChangelog:    true,
		ReplicationFactor:  -1,
		GroupID:            "footfall-processing",
		CommitInterval:     500 * time.Millisecond,
		TransactionTimeout: 10 * time.Second,
		SessionTimeout:     10 * time.Second,
		RebalanceTimeout:   60 * time.Second,
		ErrorBackOff:       defaultErrorBackOff(),
		Timeout:            60 * time.Second,
		MaxRecordBytes:     1 << 20,
		MaxEventsPerRecord: 1000,
		FetchMaxBytes:      16 << 20,
		Sessionize:         *sessionize,
		WebAnalytics:       *webanalytics,
	}
}

// defaultErrorBackOff retries a refusal quickly: a sessionizer refuses
// while its output waits on a slow next consumer, usually for milliseconds.
func defaultErrorBackOff() configretry.BackOffConfig {
	b := configretry.NewDefaultBackOffConfig()
	b.InitialInterval = 50 * time.Millisecond
	b.Multiplier = 2
	b.MaxInterval = time.Second
	b.MaxElapsedTime = 0
	return b
}

// createMetrics and createLogs take the clock from ctx
// (clockwork.FromContext: the real clock unless a test put a fake one
// there); the first of them creates the receiver.
func createMetrics(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
	s, err := sharedFor(cfg.(*Config), set, clockwork.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	return s.withMetrics(next), nil
}

// createLogs gives the logs pipeline the sessionizers' output: every event
// with its session, and the session.start and session.end records. It
// leaves the transaction: after a crash the records since the partition's
// last checkpoint come again, with the same event and session ids, for
// exporters that write idempotently by id (elasticsearch).
func createLogs(ctx context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	s, err := sharedFor(cfg.(*Config), set, clockwork.FromContext(ctx))
	if err != nil {
		return nil, err
	}
	return s.withLogs(next), nil
}
