// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/s2"
	"go.opentelemetry.io/collector/pdata/plog"
)

// A batch's records are written ahead, and kept while the reorder buffer
// holds them (held.go), as OTLP protobuf compressed with S2. A browser
// event's OTLP repeats the same twenty attribute keys and most of its
// values (site, page, user agent) with the batch's other events: S2 makes
// the intake's batches of 20 about six times smaller, at about 0.5 us per
// event to compress on the sender's goroutine and 0.25 us to expand on the
// owner (klauspost/compress, 2-core VM). Six times less to write and fsync
// per group, and the reorder buffer's share of the heap (17 of 88 MB under
// the whole-process benchmark's load) falls by as much.
//
// Entries written before (walVersion) hold the protobuf alone and are
// still read.

// maxRecordsBytes bounds a batch's records as OTLP: a corrupt entry that
// claims more is refused before anything is allocated for it, and a batch
// that encodes to more is refused as too large. The receiver's body limit
// comes long before it.
const maxRecordsBytes = 256 << 20

var protoUnmarshaler = &plog.ProtoUnmarshaler{}

// encodeRecords returns ld as compressed OTLP.
func encodeRecords(ld plog.Logs) ([]byte, error) {
	wire, err := protoMarshaler.MarshalLogs(ld)
	if err != nil {
		return nil, err
	}
	if len(wire) > maxRecordsBytes {
		return nil, fmt.Errorf("%d bytes of records is more than the %d a write-ahead entry holds", len(wire), maxRecordsBytes)
	}
	scratch := encodeScratch.Get().(*[]byte)
	defer encodeScratch.Put(scratch)
	if need := s2.MaxEncodedLen(len(wire)); cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	// s2 writes into room for the worst case; the entry keeps only what it
	// took, so that a held batch does not pin the rest.
	encoded := bytes.Clone(s2.Encode(*scratch, wire))
	if cap(*scratch) > maxKeptScratch {
		*scratch = nil
	}
	return encoded, nil
}

// encodeScratch holds the senders' buffers for encodeRecords.
var encodeScratch = sync.Pool{New: func() any { return new([]byte) }}

// recordDecoder expands compressed records into a buffer it reuses: pdata
// copies every string and byte value out of what it decodes, so the
// buffer is free again once UnmarshalLogs returns. It belongs to the
// state owner.
type recordDecoder struct{ scratch []byte }

// decode returns the records encodeRecords made.
func (d *recordDecoder) decode(data []byte) (plog.Logs, error) {
	n, err := s2.DecodedLen(data)
	switch {
	case err != nil:
		return plog.Logs{}, fmt.Errorf("records: %w", err)
	case n > maxRecordsBytes:
		return plog.Logs{}, fmt.Errorf("records: %d bytes expanded is more than the %d a write-ahead entry holds", n, maxRecordsBytes)
	}
	if cap(d.scratch) < n {
		d.scratch = make([]byte, n)
	}
	wire, err := s2.Decode(d.scratch[:n], data)
	if err != nil {
		return plog.Logs{}, fmt.Errorf("records: %w", err)
	}
	ld, err := protoUnmarshaler.UnmarshalLogs(wire)
	d.release()
	return ld, err
}

// release drops a scratch buffer a large batch left, so that one large
// batch does not pin its size for good.
func (d *recordDecoder) release() {
	if cap(d.scratch) > maxKeptScratch {
		d.scratch = nil
	}
}

// maxKeptScratch is the largest scratch buffer kept between batches: the
// intake's batches of 20 take about 20 KiB.
const maxKeptScratch = 1 << 20
