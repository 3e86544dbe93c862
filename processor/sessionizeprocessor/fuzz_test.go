// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// FuzzDecodeStoredState feeds arbitrary bytes to every decoder of stored
// state: a write-ahead entry, the checkpoint envelope, its parts, its
// deltas and the memory's segments (applied over open sessions, so that a delta's ended and changed
// sessions meet sessions of the same visitors). None may panic; each
// either decodes or says why not, so that restore can move the bytes
// aside.
func FuzzDecodeStoredState(f *testing.F) {
	f.Add([]byte{walVersion, 1, 1})
	f.Add([]byte{walVersionByRef, 1, 1, 0x05})
	records, err := encodeRecords(logsOf(pv("a", "e1", 0, "/")))
	require.NoError(f, err)
	f.Add(append([]byte{walVersionCompressed, 1, 1}, records...))
	f.Add(encodeMoves([]core.WatermarkMove{{Slot: "shop", Watermark: t0}}))
	f.Add([]byte{checkpointVersion, 0, 0, 0, 0})
	f.Add([]byte{})
	delta := fuzzSeedDelta(f)
	encoded, err := encodeDelta(delta)
	require.NoError(f, err)
	f.Add(encoded)
	sessions, err := delta.Sessions()
	require.NoError(f, err)
	f.Add(sessions)
	f.Add(delta.IDs())
	f.Add(delta.Visitors())
	f.Add(baseFileRef{name: "checkpoint-3-sessions", size: 1 << 20, crc: 7}.encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := newProcessor(storageConfig(), processortest.NewNopSettings(metadata.Type), nil, clockwork.NewFakeClockAt(t0))
		require.NoError(t, err)
		if b, err := p.decodeWAL(context.Background(), 7, data); err == nil {
			require.Len(t, b.accepted, len(b.inputs))
		}
		if moves, err := decodeMoves(7, data); err == nil {
			again, err := decodeMoves(7, encodeMoves(moves))
			require.NoError(t, err)
			require.Equal(t, moves, again, "moves read back as written")
		}
		if stored, err := p.state.decodeEnvelope(data); err == nil && stored.ids.known {
			require.LessOrEqual(t, stored.ids.next-stored.ids.first, maxMemorySegments, "an envelope names a bounded number of segments")
		}
		_, _ = decodeDelta(data)
		if ref, isRef, err := decodeBaseFileRef(data); isRef && err == nil {
			require.True(t, isBaseFileName(ref.name), "a reference names a file of the directory only")
			again, _, err := decodeBaseFileRef(ref.encode())
			require.NoError(t, err)
			require.Equal(t, ref, again, "a reference reads back as written")
		}
		c := p.state.core
		_ = c.RestoreSessions(data)
		_ = c.RestoreIDs(data)
		_ = c.RestoreVisitors(data)
		fuzzSessions(c)
		_ = c.ApplySessionsDelta(data)
		_ = c.ApplyIDsDelta(data)
		_ = c.ApplyVisitorsDelta(data)
		_, _ = c.ApplyIDsSegment(data)
		_, _ = c.ApplyVisitorsSegment(data)
		c.ForgetIDsBefore(uint64(len(data)))
	})
}

// fuzzSessions opens sessions for visitors a and b in c.
func fuzzSessions(c *core.Core) {
	var events []session.Input
	for i, v := range []string{"a", "b", "00000000000000aa"} {
		at := t0.Add(time.Duration(i) * time.Second)
		events = append(events, session.Input{Key: session.Key{Site: "shop", Visitor: v}, EventID: v, Received: at, Event: session.Event{Time: at, PageView: true, Path: "/"}})
	}
	c.Apply(events, t0.Add(time.Minute), t0)
	c.PlacePending()
}

// fuzzSeedDelta is a real delta: visitor a ended, b changed, c opened.
func fuzzSeedDelta(f *testing.F) *core.Snapshot {
	p, err := newProcessor(storageConfig(), processortest.NewNopSettings(metadata.Type), nil, clockwork.NewRealClock())
	require.NoError(f, err)
	c := p.state.core
	fuzzSessions(c)
	c.BeginSnapshot(core.Memory{WholeIDs: true, WholeVisitors: true}).Step(math.MaxInt, math.MaxInt)
	at := t0.Add(2 * time.Hour)
	c.Apply([]session.Input{
		{Key: session.Key{Site: "shop", Visitor: "b"}, EventID: "b2", Received: at, Event: session.Event{Time: at, PageView: true, Path: "/next"}},
		{Key: session.Key{Site: "shop", Visitor: "c"}, EventID: "c", Received: at, Event: session.Event{Time: at, PageView: true, Path: "/"}},
	}, at, t0)
	c.PlacePending()
	delta := c.BeginDelta(math.MaxInt, core.Memory{})
	require.NotNil(f, delta)
	delta.Step(math.MaxInt, math.MaxInt)
	return delta
}
