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
// batch of 32 to 64 MiB of records (as the pipeline holds them, about ten
// times their compressed size) every 5 minutes at most. Sizes are in bytes,
// not records: an event may be up to the intake's max_event_bytes, and a
// queue or batch counted in records would let fat events exhaust memory.
const (
	defaultMaxFileBytes  = 64 << 20
	defaultRowGroupRows  = 50_000
	defaultFlushTimeout  = 5 * time.Minute
	defaultBatchMinBytes = 32 << 20
	defaultBatchMaxBytes = 64 << 20
	defaultQueueBytes    = 256 << 20
	// A batch of 64 MiB takes seconds to encode and upload.
	defaultTimeout = 2 * time.Minute
)

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.Sizer = exporterhelper.RequestSizerTypeBytes
	queue.QueueSize = defaultQueueBytes
	queue.NumConsumers = 2
	// The default batch's other settings (its partition idle timeout),
	// with this exporter's sizes.
	batch := *queue.Batch.GetOrInsertDefault()
	batch.FlushTimeout = defaultFlushTimeout
	batch.Sizer = exporterhelper.RequestSizerTypeBytes
	batch.MinSize = defaultBatchMinBytes
	batch.MaxSize = defaultBatchMaxBytes
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
