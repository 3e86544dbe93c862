// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package elasticsearchexporter stores browser events and session summaries
// in Elasticsearch data streams, idempotently by event id and session id,
// reading every bulk item's result so that nothing is acknowledged that was
// neither stored nor dead-lettered.
package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"
