// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/plog"
)

// batch is records of one partition merged for the sessionizer.
type batch struct {
	logs plog.Logs
	// records are the records merged into logs, in order. The sessionizer
	// edits the logs it is given (it drops the events it refuses), so a
	// batch refused for good is split from the records, not from logs.
	records []*kgo.Record
	events  int
}

func newBatch() *batch { return &batch{logs: plog.NewLogs()} }

// add merges ld, decoded from rec, into the batch.
func (b *batch) add(ld plog.Logs, rec *kgo.Record) {
	b.records = append(b.records, rec)
	b.events += ld.LogRecordCount()
	ld.ResourceLogs().MoveAndAppendTo(b.logs.ResourceLogs())
}

func (b *batch) len() int { return len(b.records) }

// first is the offset of the batch's first record.
func (b *batch) first() int64 { return b.records[0].Offset }

// ref is where the batch's records can be read again: their offsets.
func (b *batch) ref() []byte {
	offsets := make([]int64, len(b.records))
	for i, rec := range b.records {
		offsets[i] = rec.Offset
	}
	return encodeOffsets(offsets)
}

// split decodes each record of the batch again, as a batch of its own.
// Each was decoded once already, so none fails; one that did would be left
// out.
func (b *batch) split() []*batch {
	out := make([]*batch, 0, len(b.records))
	for _, rec := range b.records {
		if ld, err := recordUnmarshaler.UnmarshalLogs(rec.Value); err == nil {
			one := newBatch()
			one.add(ld, rec)
			out = append(out, one)
		}
	}
	return out
}
