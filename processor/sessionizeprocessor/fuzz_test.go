// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
)

// FuzzDecodeStoredState feeds arbitrary bytes to every decoder of stored
// state: a write-ahead entry, the checkpoint envelope and its parts. None
// may panic; each either decodes or says why not, so that restore can move
// the bytes aside.
func FuzzDecodeStoredState(f *testing.F) {
	f.Add([]byte{walVersion, 1, 1})
	f.Add([]byte{checkpointVersion, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := newProcessor(storageConfig(), processortest.NewNopSettings(metadata.Type), nil)
		require.NoError(t, err)
		p.now = func() time.Time { return t0 }
		if b, err := p.decodeWAL(7, data); err == nil {
			require.Len(t, b.accepted, len(b.inputs))
		}
		_, _, _ = p.state.decodeEnvelope(data)
		_ = p.state.core.RestoreSessions(data)
		_ = p.state.core.RestoreIDs(data)
		_ = p.state.core.RestoreVisitors(data)
	})
}
