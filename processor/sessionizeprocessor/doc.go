// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

//go:generate mdatagen metadata.yaml

// Package sessionizeprocessor groups browser events into sessions per site
// and visitor, drops duplicate events, emits session.start and session.end
// events into the stream, and keeps its state in a storage extension so that
// a restart neither loses nor double counts a session.
//
// It is the single-node host of the sessionizer's synchronous core
// (internal/core), which decides everything about sessions; around it, this
// package makes events durable before they are acknowledged, delivers what
// the core placed, and checkpoints. One event's path:
//
//	ConsumeLogs (processor.go)
//	  eventReader.read (events.go): the records become a batch of
//	  session.Input, one per event; other records pass on unchanged
//	  -> the owner goroutine (owner.go), which alone touches the state:
//	handle: a group of waiting requests together
//	  admit: room in the reorder buffer and the outbox, disk space;
//	  state.filterDuplicates: event ids the core applied, or a group in
//	  flight took, are dropped
//	  the write-ahead log (wal.go): one write and one sync for the group;
//	  with segment files the walWriter (walwriter.go, its own goroutine)
//	  writes it while the owner takes the next groups, and hands it back
//	finish, once durable, in the order taken:
//	  state.applyAll (state.go) -> core.Apply: the events are buffered and
//	  placed in order as their sites' watermarks pass them; a batch with
//	  events still buffered keeps its records as their encoding, not as
//	  pdata (held.go)
//	  render (emit.go): placed events and session.start/end become records
//	  emit: the records join the outbox (outbox.go); each request is answered
//	deliver (delivery.go, its own goroutine): the outbox goes to the next
//	consumer in order, a refusal retried with delivery_backoff
//	tick (owner.go, 100 ms after the last was handled, on the clock the
//	factory takes from its context as contrib's connectors do; tests pass
//	a fake one): core.IdleMoves moves quiet sites' watermarks with the wall
//	clock, a move that places something written ahead first (idle.go); a
//	checkpoint is started when due
//
// Checkpoints store the core's sessions (a base) or what changed since the
// last checkpoint (a delta), the ids and visitors remembered since as
// segments of their own (memorylog.go), the undelivered outbox and the
// write-ahead position (checkpoint.go), begun when a tick finds one due
// (checkpointschedule.go), encoded a chunk at a time between requests and
// written by a goroutine of their own (checkpointrun.go) (with wal_directory, a base goes to
// files while it is encoded: basestream.go); restore.go reads the base, its
// deltas and the live segments back and replays the write-ahead log.
package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
