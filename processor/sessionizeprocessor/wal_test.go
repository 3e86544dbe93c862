// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// A checkpoint's truncate lets go of the segments it covers without
// waiting for their files to be deleted: while the remover is stuck on the
// disk, truncate returns and appends go on. A truncate that finds an older
// one waiting replaces it, and close waits for the deletes asked for.
func TestTruncateDoesNotWaitForTheDisk(t *testing.T) {
	dir := t.TempDir()
	log, err := wal.Open(dir, 64<<10)
	require.NoError(t, err)
	_, err = log.Replay(func(wal.Entry) error { return nil })
	require.NoError(t, err)

	asked := make(chan int, 8)
	unblock := make(chan struct{})
	w := newSegmentWAL(log, nil, zap.NewNop(), func(kept int) error {
		asked <- kept
		<-unblock
		return log.DeleteBefore(kept)
	})
	appendSeqs := func(from, to uint64) {
		for seq := from; seq < to; seq++ {
			require.NoError(t, w.append(context.Background(), []wal.Entry{{Seq: seq, Data: bytes.Repeat([]byte{byte(seq)}, 9000)}}))
		}
	}
	appendSeqs(0, 60)

	require.NoError(t, w.truncate(20))
	first := <-asked // the remover is now stuck deleting
	require.NoError(t, w.truncate(35))
	require.NoError(t, w.truncate(50))
	appendSeqs(60, 70)

	close(unblock)
	require.NoError(t, w.close())
	close(asked)
	var rest []int
	for kept := range asked {
		rest = append(rest, kept)
	}
	require.Len(t, rest, 1, "the request for 35 was replaced by the one for 50")
	assert.Greater(t, rest[0], first)

	reopened, err := wal.Open(dir, 64<<10)
	require.NoError(t, err)
	var seqs []uint64
	_, err = reopened.Replay(func(e wal.Entry) error {
		seqs = append(seqs, e.Seq)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, reopened.Close())
	require.NotEmpty(t, seqs)
	assert.Greater(t, seqs[0], uint64(35), "the segments before the one holding entry 50 are gone")
	assert.LessOrEqual(t, seqs[0], uint64(50), "the segment holding entry 50 is kept")
	assert.Equal(t, uint64(69), seqs[len(seqs)-1], "appends made while the remover was stuck are kept")
}
