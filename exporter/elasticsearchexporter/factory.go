// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/metadata"
)

// NewFactory creates a factory for the Elasticsearch exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// defaultQueueBytes bounds the sending queue in bytes, not requests: the
// requests the exporter gets differ in size by orders of magnitude (a few
// events from the intake, hundreds from a Kafka partition), so a queue
// counted in requests bounds no memory.
const defaultQueueBytes = 128 << 20

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.Sizer = exporterhelper.RequestSizerTypeBytes
	queue.QueueSize = defaultQueueBytes
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = defaultTimeout
	return &Config{
		ClientConfig:     client,
		EventsIndex:      "logs-footfall.events-default",
		SessionsIndex:    "logs-footfall.sessions-default",
		DeadLetterIndex:  "logs-footfall.deadletter-default",
		Templates:        TemplatesConfig{Install: true, RetentionDays: 30},
		Flush:            FlushConfig{Bytes: 5_000_000},
		QueueBatchConfig: configoptional.Some(queue),
		Retry:            RetryConfig{Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: time.Minute, MaxElapsedTime: 5 * time.Minute},
	}
}

// defaultTimeout bounds one bulk request, as contrib's default does.
const defaultTimeout = 90 * time.Second

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs,
		exporterhelper.WithStart(e.start),
		exporterhelper.WithShutdown(e.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// Each bulk request has the HTTP client's timeout instead: a push
		// may send several.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}),
		exporterhelper.WithRetry(c.Retry.backOff()),
		exporterhelper.WithQueue(c.QueueBatchConfig),
	)
}
