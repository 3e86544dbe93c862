// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// takeOne hands the oldest item over as the delivery loop does: under
// handoff, removed once taken.
func takeOne(o *outbox) {
	o.beginHandoff()
	o.pop()
	o.endHandoff()
}

func outboxOf(items int) *outbox {
	o := newOutbox()
	for range items {
		o.push(outboxItem{logs: plog.NewLogs(), records: 1})
	}
	return o
}

func granted(pr *pauseRequest) bool {
	select {
	case <-pr.granted:
		return true
	default:
		return false
	}
}

// A checkpoint's pause waits for the items queued when it was asked to be
// delivered, so that the checkpoint does not store them; items queued after
// it are not waited for.
func TestAPauseAfterQueuedLetsTheQueuedItemsGoFirst(t *testing.T) {
	o := outboxOf(3)
	pr := o.requestPauseAfterQueued(time.Hour)
	o.push(outboxItem{logs: plog.NewLogs(), records: 1}) // after the request
	for range 2 {
		takeOne(o)
		assert.False(t, granted(pr), "items queued at the request still wait")
	}
	takeOne(o)
	<-pr.granted
	assert.Len(t, o.snapshot(func(plog.Logs) []byte { return []byte{1} }), 1, "the checkpoint stores only the item queued after the request")
	o.resume()
	takeOne(o)
}

// A next consumer that does not take what waits (an exporter's outage)
// holds a checkpoint up for the wait at most; the checkpoint then stores
// what waits.
func TestAPauseAfterQueuedIsGrantedAfterItsWait(t *testing.T) {
	o := outboxOf(2)
	pr := o.requestPauseAfterQueued(time.Millisecond)
	<-pr.granted
	assert.Len(t, o.snapshot(func(plog.Logs) []byte { return []byte{1} }), 2)
	o.resume()
}

// A pause request withdrawn while it waits for the queue is never granted,
// and delivery goes on.
func TestAPauseAfterQueuedCanBeWithdrawnWhileItWaits(t *testing.T) {
	o := outboxOf(2)
	pr := o.requestPauseAfterQueued(time.Hour)
	o.withdraw(pr)
	require.False(t, granted(pr))
	takeOne(o)
	takeOne(o)
	assert.Zero(t, o.len())
}
