// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package archiveexporter writes raw events and session summaries as
// Parquet files in Hive-style partitions (kind, site, date, hour) to a
// directory or to S3-compatible object storage, for queries years later
// with DuckDB, Spark, Trino or Athena. Each file becomes visible whole or
// not at all, and a batch is acknowledged only once its files are stored.
package archiveexporter // import "github.com/footfall-analytics/footfall/exporter/archiveexporter"
