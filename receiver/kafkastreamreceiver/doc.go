// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package kafkastreamreceiver is the processing tier of a scaled-out
// Footfall: it reads the events topic in a consumer group and, for each
// partition it owns, runs the sessionizer and the webanalytics aggregator
// on state that follows the partition. Each partition's state lives in a
// compacted changelog topic, written in the same Kafka transaction as the
// consumer offsets, so a new owner restores exactly the state at the
// position it resumes from: a rebalance or a crash changes no number.
package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"
