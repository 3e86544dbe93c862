// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter // import "github.com/footfall-analytics/footfall/exporter/archiveexporter"

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/rows"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/store"
)

type archiveExporter struct {
	cfg       *Config
	settings  exporter.Settings
	telemetry *metadata.TelemetryBuilder
	store     store.Store
	writer    *fileWriter
	// open counts files being written, for the open_files gauge.
	open atomic.Int64
}

func newArchiveExporter(cfg *Config, set exporter.Settings) (*archiveExporter, error) {
	e := &archiveExporter{cfg: cfg, settings: set}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	err = tb.RegisterExporterArchiveOpenFilesCallback(func(_ context.Context, o metric.Int64Observer) error {
		o.Observe(e.open.Load())
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.telemetry = tb
	return e, nil
}

func (e *archiveExporter) start(context.Context, component.Host) error {
	s, err := e.newStore()
	if err != nil {
		return err
	}
	e.store = s
	e.writer = &fileWriter{store: s, file: e.cfg.File, telemetry: e.telemetry, open: &e.open}
	return nil
}

func (e *archiveExporter) newStore() (store.Store, error) {
	if !e.cfg.S3.HasValue() {
		if err := os.MkdirAll(e.cfg.Directory, 0o750); err != nil {
			return nil, fmt.Errorf("archive directory: %w", err)
		}
		return store.Dir{Root: e.cfg.Directory}, nil
	}
	s3 := e.cfg.S3.Get()
	creds := credentials.NewEnvAWS()
	if s3.AccessKeyID != "" {
		creds = credentials.NewStaticV4(s3.AccessKeyID, string(s3.SecretAccessKey), "")
	}
	lookup := minio.BucketLookupAuto
	if s3.PathStyle {
		lookup = minio.BucketLookupPath
	}
	// One attempt per push: the sending queue retries with its own backoff
	// and keeps the batch meanwhile.
	client, err := minio.New(s3.Endpoint, &minio.Options{Creds: creds, Secure: !s3.Insecure, Region: s3.Region, BucketLookup: lookup, MaxRetries: 1})
	if err != nil {
		return nil, fmt.Errorf("archive s3: %w", err)
	}
	spool := s3.SpoolDirectory
	if spool == "" {
		spool = os.TempDir()
	}
	return store.S3{Client: client, Bucket: s3.Bucket, Prefix: s3.Prefix, Spool: spool}, nil
}

// pushLogs stores the batch's files; an error leaves the batch in the
// queue to be written again (docs/archive.md, duplicates).
func (e *archiveExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	b := rows.FromLogs(ld)
	if b.Skipped > 0 {
		e.telemetry.ExporterArchiveRecordsSkipped.Add(ctx, int64(b.Skipped))
	}
	return e.writer.writeBatch(ctx, b)
}

func (e *archiveExporter) shutdown(context.Context) error {
	if e.telemetry != nil {
		e.telemetry.Shutdown()
	}
	return nil
}

// kindAttr labels a metric point with the file's kind.
func kindAttr(kind rows.Kind) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("kind", string(kind)))
}
