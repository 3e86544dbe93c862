// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter // import "github.com/footfall-analytics/footfall/exporter/archiveexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/metadata"
)

// NewFactory creates a factory for the archive exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// Defaults that give files of tens of MB, not thousands of small ones: a
// batch of up to 500,000 records (about 150 bytes each once compressed)
// every 5 minutes at most.
const (
	defaultMaxFileBytes  = 64 << 20
	defaultRowGroupRows  = 50_000
	defaultFlushTimeout  = 5 * time.Minute
	defaultBatchMinItems = 200_000
	defaultBatchMaxItems = 500_000
	defaultQueueItems    = 2_000_000
	// A batch of 500,000 records takes seconds to encode and upload.
	defaultTimeout = 2 * time.Minute
)

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.Sizer = exporterhelper.RequestSizerTypeItems
	queue.QueueSize = defaultQueueItems
	queue.NumConsumers = 2
	// The default batch's other settings (its partition idle timeout),
	// with this exporter's sizes.
	batch := *queue.Batch.GetOrInsertDefault()
	batch.FlushTimeout = defaultFlushTimeout
	batch.Sizer = exporterhelper.RequestSizerTypeItems
	batch.MinSize = defaultBatchMinItems
	batch.MaxSize = defaultBatchMaxItems
	queue.Batch = configoptional.Some(batch)
	timeout := exporterhelper.NewDefaultTimeoutConfig()
	timeout.Timeout = defaultTimeout
	return &Config{
		File:             FileConfig{MaxBytes: defaultMaxFileBytes, RowGroupRows: defaultRowGroupRows},
		TimeoutConfig:    timeout,
		QueueBatchConfig: configoptional.Some(queue),
		BackOffConfig:    configretry.NewDefaultBackOffConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newArchiveExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
		exporterhelper.WithQueue(c.QueueBatchConfig),
	)
}
