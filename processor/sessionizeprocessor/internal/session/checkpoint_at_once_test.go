// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import "math"

// The checkpoints at once the tests compare and restore; the processor
// encodes a piece at a time (BeginSnapshot).

// Checkpoint encodes the open sessions, the remembered ended sessions and
// the watermark, without the reorder buffer.
func (t *Tracker) Checkpoint() []byte { return t.checkpointAs(checkpointVersion) }

// checkpointAs encodes t alone, at once, in version: older versions too,
// so that the tests check that this build reads them.
func (t *Tracker) checkpointAs(version byte) []byte {
	ts := t.beginSnapshot(version)
	ts.step(len(ts.order) + len(ts.tombstones))
	ts.finish()
	head, tail := ts.frame(false)
	out := append(ts.sessions.AppendTo(head), tail...)
	return ts.tombEncoded.AppendTo(out)
}

// Checkpoint encodes every site's Tracker (without its reorder buffer).
func (s *Sites) Checkpoint() []byte {
	sn := s.BeginSnapshot()
	sn.Step(math.MaxInt)
	return mustBytes(sn)
}

// mustBytes is a complete snapshot's encoding, which the tests expect to
// be there.
func mustBytes(sn *Snapshot) []byte {
	b, err := sn.Bytes()
	if err != nil {
		panic(err)
	}
	return b
}
