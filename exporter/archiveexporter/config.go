// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter // import "github.com/footfall-analytics/footfall/exporter/archiveexporter"

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/internal/writable"
)

// Config defines the archive exporter. Exactly one destination is set:
// directory or s3.
type Config struct {
	// Directory is a local directory, or a mounted filesystem (NFS, HDFS
	// through FUSE), to write the partitions under.
	Directory string `mapstructure:"directory"`
	// S3 is S3-compatible object storage.
	S3 configoptional.Optional[S3Config] `mapstructure:"s3"`
	// File bounds each Parquet file.
	File FileConfig `mapstructure:"file"`

	// Batches are cut by the sending queue's batch settings: a batch is
	// written when it holds batch.min_size bytes or batch.flush_timeout
	// has passed, which bounds a file's age. Default: a persistent-ready
	// queue of 256 MiB, batches of 32 to 64 MiB, 5 minutes; in bytes, so
	// that large events cannot exhaust memory.
	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueBatchConfig             configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig                configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`
}

// FileConfig bounds each file.
type FileConfig struct {
	// MaxBytes starts a new file once one holds this many bytes (checked
	// after each row group). Default 64 MiB.
	MaxBytes int64 `mapstructure:"max_bytes"`
	// RowGroupRows is the rows per Parquet row group: what a writer holds
	// in memory before it flushes. Default 50,000.
	RowGroupRows int64 `mapstructure:"row_group_rows"`
}

// S3Config is S3-compatible object storage (AWS S3, MinIO, Ceph, R2, ...).
type S3Config struct {
	// Endpoint is the host[:port] of the service, e.g. s3.eu-central-1.amazonaws.com.
	Endpoint string `mapstructure:"endpoint"`
	Bucket   string `mapstructure:"bucket"`
	Region   string `mapstructure:"region"`
	// Prefix is prepended to every object key.
	Prefix string `mapstructure:"prefix"`
	// AccessKeyID and SecretAccessKey; when empty, the AWS_ACCESS_KEY_ID,
	// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN environment variables.
	AccessKeyID     string              `mapstructure:"access_key_id"`
	SecretAccessKey configopaque.String `mapstructure:"secret_access_key"`
	// Insecure talks plain HTTP (a local MinIO); TLS otherwise.
	Insecure bool `mapstructure:"insecure"`
	// PathStyle addresses the bucket in the path instead of the host name
	// (MinIO and most self-hosted services).
	PathStyle bool `mapstructure:"path_style"`
	// SpoolDirectory is where a file is written before its upload.
	// Default: the system's temporary directory.
	SpoolDirectory string `mapstructure:"spool_directory"`
}

// Validate checks the destination and the bounds.
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case cfg.Directory == "" && !cfg.S3.HasValue():
		errs = append(errs, errors.New("set directory or s3"))
	case cfg.Directory != "" && cfg.S3.HasValue():
		errs = append(errs, errors.New("set directory or s3, not both"))
	case cfg.S3.HasValue():
		s3 := cfg.S3.Get()
		if s3.Endpoint == "" || s3.Bucket == "" {
			errs = append(errs, errors.New("s3: endpoint and bucket are required"))
		}
	}
	if cfg.File.MaxBytes <= 0 || cfg.File.RowGroupRows <= 0 {
		errs = append(errs, errors.New("file: max_bytes and row_group_rows must be positive"))
	}
	dirs := []struct{ key, path string }{{"directory", cfg.Directory}}
	if cfg.S3.HasValue() {
		dirs = append(dirs, struct{ key, path string }{"s3::spool_directory", cfg.S3.Get().SpoolDirectory})
	}
	for _, dir := range dirs {
		if dir.path == "" {
			continue
		}
		if err := writable.Dir(dir.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir.key, err))
		}
	}
	return errors.Join(errs...)
}
