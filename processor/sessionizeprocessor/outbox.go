// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"sync"

	"go.opentelemetry.io/collector/pdata/plog"
)

// outbox holds placed records, in order, until the next consumer accepts
// them. The state owner appends, the delivery loop removes; the mutex guards
// only the queue and is never held while calling the next consumer.
type outbox struct {
	mu      sync.Mutex
	items   []outboxItem
	records int
	// ready is signalled (without blocking) whenever an item is appended.
	ready chan struct{}
}

type outboxItem struct {
	logs    plog.Logs
	records int
	// wire is the OTLP encoding for checkpoints (only with storage): the next
	// consumer may change logs while it holds them.
	wire []byte
}

func newOutbox() *outbox { return &outbox{ready: make(chan struct{}, 1)} }

func (o *outbox) push(item outboxItem) {
	o.mu.Lock()
	o.items = append(o.items, item)
	o.records += item.records
	o.mu.Unlock()
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// front returns the oldest item without removing it.
func (o *outbox) front() (outboxItem, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.items) == 0 {
		return outboxItem{}, false
	}
	return o.items[0], true
}

// pop removes the oldest item, once the next consumer took it.
func (o *outbox) pop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.records -= o.items[0].records
	o.items[0] = outboxItem{}
	o.items = o.items[1:]
	if len(o.items) == 0 {
		o.items = nil
	}
}

func (o *outbox) pendingRecords() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.records
}

// snapshot returns the encoded items, oldest first, for a checkpoint.
func (o *outbox) snapshot() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	wire := make([][]byte, len(o.items))
	for i, item := range o.items {
		wire[i] = item.wire
	}
	return wire
}
