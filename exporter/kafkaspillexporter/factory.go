// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"

import (
	"context"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/metadata"
)

// NewFactory creates a factory for the Kafka spill exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	producer := configkafka.NewDefaultProducerConfig()
	producer.RequiredAcks = configkafka.WaitForAll
	return &Config{
		ClientConfig:     configkafka.NewDefaultClientConfig(),
		Producer:         producer,
		Topic:            "footfall.events",
		Timeout:          10 * time.Second,
		SpillAfter:       time.Second,
		MaxInFlightBytes: 64 << 20,
		Spill: SpillConfig{
			Directory:    "/var/lib/footfall/spill",
			MaxBytes:     1 << 30,
			SegmentBytes: 16 << 20,
			DrainBackOff: defaultDrainBackOff(),
		},
	}
}

// defaultDrainBackOff tries Kafka again soon after a failed pass, and at
// most every 5 s while it stays away; it never gives up.
func defaultDrainBackOff() configretry.BackOffConfig {
	b := configretry.NewDefaultBackOffConfig()
	b.InitialInterval = 250 * time.Millisecond
	b.Multiplier = 2
	b.MaxInterval = 5 * time.Second
	b.MaxElapsedTime = 0
	return b
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	e, err := newExporter(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	// No queue and no retry of the helper's: the exporter's own answer
	// (Kafka's acks, or the spill's fsync) is the acknowledgement.
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}),
	)
}
