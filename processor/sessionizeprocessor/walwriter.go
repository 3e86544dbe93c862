// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"fmt"
	"time"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// With the write-ahead log in segment files, the owner does not wait for
// the disk: it checks a group of requests, hands its entries to the
// walWriter and takes the next group while the first one syncs; every
// group waiting when the writer is free is written with one write and one
// sync. A group is applied and answered when its entries are durable, in
// the order the groups were taken, so a 2xx still means "on disk". What
// the owner must know of a group between the two steps:
//
//   - its event ids, so that a copy of an event in a later group is a
//     duplicate even though the first is not applied yet (walGroup.deps:
//     should the first fail to be written, the later group fails too, or
//     its client would be told the event was kept);
//   - its accepted events, so that the reorder buffer's room counts them;
//   - that no checkpoint begins while a group is in flight: a checkpoint
//     records the next sequence number as applied.
//
// The storage extension's log (keys wal/<seq>) stays synchronous: its
// replay stops at the first missing key, and a failed group in the middle
// of others would be one.

// maxWALInFlight bounds the groups handed to the writer and not yet
// applied; the owner takes no request past it.
const maxWALInFlight = 8

// walGroup is one group of requests on its way through the writer.
type walGroup struct {
	requests []*request
	taken    []*request
	entries  []wal.Entry
	events   int
	// moves are the idle watermark's, when the group is their entry
	// (idle.go): applied once it is durable.
	moves []core.WatermarkMove
	now   time.Time // the owner's clock when taken
	// firstSeq is the state's next sequence number before the group took
	// any: a synchronous append that fails gives them back.
	firstSeq uint64
	// submitted is set once the group is handed to the writer.
	submitted bool
	// ids are the event ids it accepted; deps the groups in flight before
	// it that hold an event it dropped as their duplicate.
	ids  [][2]string
	deps []*walGroup
	// reason and err are the outcome: set by the writer, or by the owner
	// when a dependency failed.
	reason string
	err    error
}

// inFlight is what the owner knows of the groups handed to the writer and
// not yet applied.
type inFlight struct {
	groups, events int
	// ids maps the event ids those groups accepted to their group.
	ids map[[2]string]*walGroup
}

func (f *inFlight) add(g *walGroup) {
	g.submitted = true
	f.groups++
	f.events += g.events
}

// remove forgets g once applied or refused (nothing, for a group never
// handed to the writer).
func (f *inFlight) remove(g *walGroup) {
	if !g.submitted {
		return
	}
	f.groups--
	f.events -= g.events
	for _, id := range g.ids {
		if f.ids[id] == g {
			delete(f.ids, id)
		}
	}
}

// walWriter appends groups to the segment log in the background.
type walWriter struct {
	log  writeAheadLog
	todo chan *walGroup
	done chan *walGroup
}

func newWALWriter(log writeAheadLog) *walWriter {
	w := &walWriter{log: log, todo: make(chan *walGroup, maxWALInFlight), done: make(chan *walGroup, maxWALInFlight)}
	go w.run()
	return w
}

// run writes every group waiting with one append and returns them, in
// order, until todo is closed.
func (w *walWriter) run() {
	defer close(w.done)
	for g := range w.todo {
		groups := w.waiting(g)
		var entries []wal.Entry
		for _, g := range groups {
			entries = append(entries, g.entries...)
		}
		var err error
		if len(entries) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), walTimeout)
			err = w.log.append(ctx, entries)
			cancel()
		}
		for _, g := range groups {
			if err != nil {
				g.reason, g.err = refusedStorage, fmt.Errorf("write-ahead log: %w", err)
			}
			w.done <- g
		}
	}
}

// waiting is g and the groups queued behind it.
func (w *walWriter) waiting(g *walGroup) []*walGroup {
	groups := []*walGroup{g}
	for {
		select {
		case next, ok := <-w.todo:
			if !ok {
				return groups
			}
			groups = append(groups, next)
		default:
			return groups
		}
	}
}

// stop ends the writer once the groups handed to it are returned.
func (w *walWriter) stop() { close(w.todo) }
