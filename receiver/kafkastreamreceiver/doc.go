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
//
// # An event's path
//
//  1. A gateway's kafka_spill exporter writes the event in an OTLP record
//     keyed by its visitor, so a visitor's events are in order in one
//     partition of the events topic.
//  2. The loop (loop.go, run) turns once per commit_interval. It polls the
//     topic, read_committed. consumePartition decodes each record;
//     records.go skips one that is too large, undecodable, holds too
//     many events or poses as the sessionizer, counted by reason. The
//     rest go to the partition's
//     sessionizer in batches of at most 500 records (offer). A refusal
//     "for now" (its buffers are full) is offered again after
//     error_backoff's delays, for up to half of session_timeout. After
//     that the partition stalls
//     (stall.go): it is paused where the refused batch starts, and the
//     other partitions go on.
//  3. The partition's pipeline (partition.go) is the sessionize
//     processor feeding the webanalytics connector (and the logs
//     pipeline, when there is one). Their storage is the partition's
//     changelog.Store. The sessionizer writes the batch's write-ahead
//     entry there: the batch is handed on with its records' offsets
//     (batch.go, offsets.go, internal/sourcelog), and the entry holds
//     those, not the records. It places the events in sessions, and
//     delivers the records. The aggregator counts them and, every flush_interval,
//     hands a rendering of its series to the partition's publisher
//     (publish.go), which keeps only the latest. The sessionizer's
//     background checkpoints (after the first, deltas of what changed,
//     none when nothing did) also write to the store, with the aggregator's state saved under the same epoch
//     (internal/cosave), and delete the write-ahead entries they cover: an
//     entry written and deleted between two commits never reaches the
//     changelog.
//  4. At the end of the turn (endTransaction), cut takes each partition's
//     latest rendering first, then the store's writes since the last
//     commit. Those writes go to changelog partition p, in one
//     transaction with the offsets of the records polled. After a
//     commit, the renderings are published, each point labelled
//     partition=p. An abort (a rebalance, a failed write) rebuilds each
//     partition from what its changelog holds (rollback), as a new owner
//     would, and its records are read again.
//  5. On assignment (rebalance.go), the new owner reads changelog
//     partition p. It first waits until no transaction is open there
//     (restore.go). It then starts the pipeline on that store: the
//     sessionizer restores its checkpoint and replays the write-ahead
//     entries after it, reading their records again from the events
//     topic (eventsource.go), and the aggregator restores the state saved with
//     that checkpoint. The aggregator publishes nothing until the replay
//     has been delivered to it, so a partition's counters never go back
//     when it changes owner. On revocation the pipeline stops and its
//     series are withdrawn. Nothing is committed for it.
package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"
