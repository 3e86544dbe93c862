// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package liveviewexporter serves a live web analytics dashboard from the
// collector itself: it receives the webanalytics connector's metrics in the
// metrics pipeline, keeps a short per-minute history per site, and pushes
// snapshots to browsers over Server-Sent Events.
package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"
