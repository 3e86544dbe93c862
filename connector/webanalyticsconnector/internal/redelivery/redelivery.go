// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package redelivery recognises a batch the connector has counted already.
//
// In a fan-out (the sessionize processor's output going to this connector and
// to an Elasticsearch or Kafka exporter), a sibling that refuses makes the
// sessionize processor deliver the same batch again, to every consumer. The
// sessionize processor delivers in order and retries the batch at the head of
// its queue until every consumer takes it, so a redelivered batch is always
// one of the last few the connector saw: remembering a fingerprint of each of
// the last batches is enough, in constant memory.
package redelivery // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/redelivery"

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// Memory holds the fingerprints of the last batches. It is not safe for
// concurrent use: the connector's mutex owns it.
type Memory struct {
	ring []uint64
	next int
	set  map[uint64]int // fingerprint -> how many ring slots hold it
	// remembered counts the fingerprints ever remembered.
	remembered uint64
}

// New remembers the last size batches.
func New(size int) *Memory {
	return &Memory{ring: make([]uint64, 0, size), set: make(map[uint64]int, size)}
}

// Seen reports whether a batch with fp was remembered, and remembers it when
// it was not.
func (m *Memory) Seen(fp uint64) bool {
	if m.set[fp] > 0 {
		return true
	}
	if len(m.ring) < cap(m.ring) {
		m.ring = append(m.ring, fp)
	} else {
		old := m.ring[m.next]
		if m.set[old]--; m.set[old] <= 0 {
			delete(m.set, old)
		}
		m.ring[m.next] = fp
		m.next = (m.next + 1) % len(m.ring)
	}
	m.set[fp]++
	m.remembered++
	return false
}

// Remembered is how many fingerprints were remembered so far: a mark for
// Since.
func (m *Memory) Remembered() uint64 { return m.remembered }

// Since returns the fingerprints remembered since mark (Remembered's value
// then) and still held, oldest first. Seen for each of them in order, on
// the memory as it was at mark, makes it the memory now: a save need not
// write all of them each time.
func (m *Memory) Since(mark uint64) []uint64 {
	all := m.Fingerprints()
	n := min(m.remembered-min(mark, m.remembered), uint64(len(all)))
	return all[uint64(len(all))-n:]
}

// Fingerprint hashes what identifies each record of ld: site, visitor, scope,
// event name, event id and time. Every record the sessionize processor emits
// has an event id unique within its site, so two batches share a fingerprint
// only when one is the other delivered again (or by a 64-bit collision).
func Fingerprint(ld plog.Logs) uint64 {
	d := xxhash.New()
	var buf [8]byte
	field := func(s string) {
		_, _ = d.WriteString(s)
		_, _ = d.Write([]byte{0})
	}
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				attrs := lr.Attributes()
				field(attr.Lookup(res, attrs, schema.AttrSiteID))
				field(attr.Lookup(res, attrs, schema.AttrVisitorID))
				field(sl.Scope().Name())
				field(lr.EventName())
				field(attr.Str(attrs, schema.AttrEventID))
				binary.LittleEndian.PutUint64(buf[:], uint64(lr.Timestamp()))
				_, _ = d.Write(buf[:])
			}
		}
	}
	return d.Sum64()
}

// Fingerprints returns the remembered fingerprints, oldest first, for a
// checkpoint.
func (m *Memory) Fingerprints() []uint64 {
	out := make([]uint64, 0, len(m.ring))
	if len(m.ring) < cap(m.ring) {
		return append(out, m.ring...)
	}
	out = append(out, m.ring[m.next:]...)
	return append(out, m.ring[:m.next]...)
}

// Restore returns a Memory of size remembering fps (oldest first), as
// Fingerprints returned them; past size the oldest are forgotten.
func Restore(size int, fps []uint64) *Memory {
	m := New(size)
	for _, fp := range fps {
		m.Seen(fp)
	}
	return m
}
