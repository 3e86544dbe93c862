// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/axiomhq/hyperloglog"

	"github.com/footfall-analytics/footfall/internal/binread"
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
	r := binread.New(data[1:])
	restored := Windows{loc: w.loc, completedUpTo: -1}
	var err error
	restored.newest = r.Varint()
	restored.todayKey = r.Varint()
	restored.today, err = sketch(r)
	for i := range restored.minutes {
		if err != nil {
			break
		}
		restored.minutes[i].minute = r.Varint()
		restored.minutes[i].sketch, err = sketch(r)
	}
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if r.Len() != 0 {
		return errCorrupt
	}
	*w = restored
	return nil
}

// sketch reads a length-prefixed sketch; an empty one is none.
func sketch(r *binread.Reader) (*hyperloglog.Sketch, error) {
	b := r.Bytes()
	if r.Err() != nil || len(b) == 0 {
		return nil, r.Err()
	}
	sk := newSketch()
	if err := sk.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return sk, nil
}
