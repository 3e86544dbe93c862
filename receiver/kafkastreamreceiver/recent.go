// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recentRecordsBytes bounds the bytes of records all partitions keep in
// memory for a rebuild after an aborted transaction (recentRecords).
const recentRecordsBytes = 16 << 20

// recentRecords are the records a partition handed to its sessionizer
// lately, and those its last rebuild read again from the events topic,
// oldest first. The write-ahead entries in the changelog name
// their records in the events topic; after an aborted transaction the
// partition is rebuilt from the changelog, and the records those entries
// name are mostly these. Read from here, a rebuild needs no reader of the
// events topic (a client, two listings and a fetch per partition, which
// made it about twenty times slower). A record at an offset never
// changes, so what is kept is what Kafka would return.
//
// The partitions of a receiver share one budget of bytes; past it, the
// partition adding forgets its oldest records, which a rebuild then reads
// from the events topic. A new owner has none: it reads them all there.
type recentRecords struct {
	budget *recentBudget

	mu      sync.Mutex
	records []*kgo.Record
}

// recentBudget is the bytes the partitions' recent records may hold
// together; evicted counts the records forgotten for it.
type recentBudget struct {
	limit   int64
	used    atomic.Int64
	evicted func(records int)
}

func (b *recentBudget) records() *recentRecords { return &recentRecords{budget: b} }

// add keeps records, handed over in offset order. Records at or past the
// first of them are dropped first: after an abort the partition is read
// again from its committed offsets, and the same records come again.
func (k *recentRecords) add(records []*kgo.Record) {
	if len(records) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dropFrom(records[0].Offset)
	for _, rec := range records {
		k.records = append(k.records, rec)
		k.budget.used.Add(recordBytes(rec))
	}
	evicted := 0
	for len(k.records) > 0 && k.budget.used.Load() > k.budget.limit {
		k.forget(k.records[0])
		k.records[0] = nil
		k.records = k.records[1:]
		evicted++
	}
	if evicted > 0 {
		k.budget.evicted(evicted)
	}
}

// keep keeps a record read again from the events topic, in its place: the
// next rebuild of the partition finds it here. Entries written by a
// previous owner name records this collector never handed over, and a
// partition rebuilt after each of a run of aborts would read them from
// Kafka every time.
func (k *recentRecords) keep(rec *kgo.Record) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	i, found := k.find(rec.Offset)
	if found {
		return
	}
	if k.budget.used.Load()+recordBytes(rec) > k.budget.limit {
		// Not kept rather than another record forgotten for it: the
		// records handed over are the ones the next abort needs most.
		k.budget.evicted(1)
		return
	}
	k.records = slices.Insert(k.records, i, rec)
	k.budget.used.Add(recordBytes(rec))
}

// at returns the kept record at offset.
func (k *recentRecords) at(offset int64) (*kgo.Record, bool) {
	if k == nil {
		return nil, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if i, found := k.find(offset); found {
		return k.records[i], true
	}
	return nil, false
}

// release gives the partition's bytes back to the budget: the partition
// was revoked or stopped for good.
func (k *recentRecords) release() {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.dropFrom(-1)
}

// dropFrom forgets the records at offset or past it.
func (k *recentRecords) dropFrom(offset int64) {
	i := k.search(offset)
	for _, rec := range k.records[i:] {
		k.forget(rec)
	}
	clear(k.records[i:])
	k.records = k.records[:i]
}

func (k *recentRecords) forget(rec *kgo.Record) {
	k.budget.used.Add(-recordBytes(rec))
}

// find is where the record at offset is, or would be.
func (k *recentRecords) find(offset int64) (int, bool) {
	i := k.search(offset)
	return i, i < len(k.records) && k.records[i].Offset == offset
}

// search is the index of the first record at offset or past it.
func (k *recentRecords) search(offset int64) int {
	return sort.Search(len(k.records), func(i int) bool { return k.records[i].Offset >= offset })
}

func recordBytes(rec *kgo.Record) int64 { return int64(len(rec.Key) + len(rec.Value)) }
