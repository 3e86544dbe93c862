// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"go.opentelemetry.io/collector/pdata/plog"
)

// A batch whose events wait in the reorder buffer (allowed_lateness, the
// idle watermark) is held until the last of them is placed. As pdata, a
// browser event is some twenty attributes of small, pointer-rich objects;
// its encoding, which a batch has anyway for its write-ahead entry
// (compressed OTLP, recordcodec.go), is a fraction of that and nothing for
// the garbage collector to scan. So a held batch keeps only the encoding,
// and decodes it again when the first of its records is placed (usually
// all of them are placed together, allowed_lateness after they came).
// Under the whole-process benchmark's load (about 17,000 events waiting),
// the heap their records hold fell from about 57 MB as pdata to 15 MB as
// OTLP, and to a sixth of that compressed. A batch read back from the
// write-ahead log at a restart keeps its entry's compressed records the
// same way. A batch without an encoding (no storage, records held by
// reference to the log they came from, or an entry of the former plain
// OTLP format) keeps its pdata.

// compact lets b, when the tracker still holds some of its records, keep
// them as their encoding only.
func (*state) compact(b *batch) {
	if b.unplaced > 0 && b.wire != nil && !b.encodedOnly {
		b.logs, b.encodedOnly = plog.Logs{}, true
	}
}

// records are b's records as pdata, decoded again from their encoding if
// b was compacted. A record placed already is empty in them, as it was
// moved out.
func (b *batch) records(d *recordDecoder) (plog.Logs, error) {
	if b.encodedOnly {
		ld, err := d.decode(b.wire)
		if err != nil {
			return plog.Logs{}, err
		}
		b.logs, b.wire, b.encodedOnly = ld, nil, false
	}
	return b.logs, nil
}
