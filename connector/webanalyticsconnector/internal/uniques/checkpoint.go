// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/axiomhq/hyperloglog"
)

// checkpointVersion is bumped whenever the encoding changes.
const checkpointVersion = 1

// MarshalBinary encodes the minute ring and today's sketch, so that a
// restarted connector goes on counting the same windows.
func (w *Windows) MarshalBinary() ([]byte, error) {
	out := []byte{checkpointVersion}
	out = binary.AppendVarint(out, w.newest)
	out = binary.AppendVarint(out, w.todayKey)
	var err error
	if out, err = appendSketch(out, w.today); err != nil {
		return nil, err
	}
	for _, slot := range w.minutes {
		out = binary.AppendVarint(out, slot.minute)
		if out, err = appendSketch(out, slot.sketch); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func appendSketch(out []byte, sk *hyperloglog.Sketch) ([]byte, error) {
	if sk == nil {
		return binary.AppendUvarint(out, 0), nil
	}
	b, err := sk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	out = binary.AppendUvarint(out, uint64(len(b)))
	return append(out, b...), nil
}

var errCorrupt = errors.New("visitor windows checkpoint is corrupt")

// UnmarshalBinary restores what MarshalBinary encoded into w, which keeps
// its time zone.
func (w *Windows) UnmarshalBinary(data []byte) error {
	if len(data) == 0 || data[0] != checkpointVersion {
		return fmt.Errorf("visitor windows checkpoint: unknown version")
	}
	r := reader{buf: data[1:]}
	restored := Windows{loc: w.loc, completedUpTo: -1}
	restored.newest = r.varint()
	restored.todayKey = r.varint()
	restored.today = r.sketch()
	for i := range restored.minutes {
		restored.minutes[i].minute = r.varint()
		restored.minutes[i].sketch = r.sketch()
	}
	if r.err != nil {
		return r.err
	}
	if len(r.buf) != 0 {
		return errCorrupt
	}
	*w = restored
	return nil
}

type reader struct {
	buf []byte
	err error
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) sketch() *hyperloglog.Sketch {
	if r.err != nil {
		return nil
	}
	size, n := binary.Uvarint(r.buf)
	if n <= 0 || size > uint64(len(r.buf)-n) {
		r.err = errCorrupt
		return nil
	}
	r.buf = r.buf[n:]
	if size == 0 {
		return nil
	}
	sk := newSketch()
	if err := sk.UnmarshalBinary(r.buf[:size]); err != nil {
		r.err = fmt.Errorf("%w: %w", errCorrupt, err)
		return nil
	}
	r.buf = r.buf[size:]
	return sk
}
