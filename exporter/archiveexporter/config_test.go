// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"directory", func(c *Config) { c.Directory = filepath.Join(os.TempDir(), "footfall-archive-test") }, ""},
		{"s3", func(c *Config) { c.S3 = configoptional.Some(S3Config{Endpoint: "s3.example", Bucket: "b"}) }, ""},
		{"no destination", func(*Config) {}, "set directory or s3"},
		{"both", func(c *Config) {
			c.Directory = "/d"
			c.S3 = configoptional.Some(S3Config{Endpoint: "s3.example", Bucket: "b"})
		}, "not both"},
		{"s3 without a bucket", func(c *Config) { c.S3 = configoptional.Some(S3Config{Endpoint: "s3.example"}) }, "endpoint and bucket are required"},
		{"no file size", func(c *Config) { c.Directory = "/d"; c.File.MaxBytes = 0 }, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := cfg.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// The defaults give files of tens of MB: batches of at least 32 MiB unless
// 5 minutes pass, from a queue bounded in bytes, so that large events cannot
// exhaust memory.
func TestDefaultsBatchLargeFiles(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	queue := cfg.QueueBatchConfig.Get()
	assert.Equal(t, "bytes", queue.Sizer.String())
	assert.EqualValues(t, 256<<20, queue.QueueSize)
	require.True(t, queue.Batch.HasValue())
	batch := queue.Batch.Get()
	assert.EqualValues(t, 32<<20, batch.MinSize)
	assert.EqualValues(t, 64<<20, batch.MaxSize)
	assert.Equal(t, "bytes", batch.Sizer.String())
	assert.Positive(t, batch.Partition.IdleTimeout)
}

// footfall validate reports an archive directory a start could not write.
func TestValidateChecksTheDirectory(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = filepath.Join(notADir, "archive")
	assert.ErrorContains(t, cfg.Validate(), "directory: "+notADir+" is not a directory")
	cfg.Directory = t.TempDir()
	assert.NoError(t, cfg.Validate())
}
