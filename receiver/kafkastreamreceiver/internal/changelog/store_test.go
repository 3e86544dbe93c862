// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package changelog

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// partition is a compacted changelog partition as a read_committed reader
// sees it: the records of committed transactions, in order.
type partition struct{ records []Record }

func (p *partition) commit(s *Store) {
	p.records = append(p.records, s.Cut()...)
	s.Commit()
}

func (p *partition) load(t *testing.T) *Store {
	t.Helper()
	l := NewLoader()
	for _, r := range p.records {
		l.Add(r.Key, r.Value)
	}
	s, err := l.Store()
	require.NoError(t, err)
	return s
}

// compacted keeps the last record of each key, tombstones dropped.
func (p *partition) compacted() *partition {
	last := map[string]int{}
	for i, r := range p.records {
		last[string(r.Key)] = i
	}
	out := &partition{}
	for i, r := range p.records {
		if last[string(r.Key)] == i && r.Value != nil {
			out.records = append(out.records, r)
		}
	}
	return out
}

func get(t *testing.T, c storage.Client, key string) []byte {
	t.Helper()
	v, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	return v
}

func TestCommittedWritesAreWhatANewOwnerLoads(t *testing.T) {
	ctx := context.Background()
	p := &partition{}
	s := NewStore()
	c := s.Client("processor/sessionize")
	require.NoError(t, c.Set(ctx, "checkpoint", []byte("one")))
	require.NoError(t, c.Set(ctx, "wal/1", []byte("batch 1")))
	require.NoError(t, c.Set(ctx, "empty", []byte{}))
	p.commit(s)
	require.NoError(t, c.Batch(ctx,
		storage.SetOperation("checkpoint", []byte("two")),
		storage.DeleteOperation("wal/1"),
	))
	p.commit(s)

	for _, loaded := range []*Store{p.load(t), p.compacted().load(t)} {
		lc := loaded.Client("processor/sessionize")
		assert.Equal(t, []byte("two"), get(t, lc, "checkpoint"))
		assert.Nil(t, get(t, lc, "wal/1"), "deleted")
		assert.Equal(t, []byte{}, get(t, lc, "empty"), "an empty value is kept, not taken for a delete")
	}
}

func TestClientsOfTwoComponentsDoNotShareKeys(t *testing.T) {
	ctx := context.Background()
	s := NewStore()
	a, b := s.Client("processor/sessionize"), s.Client("connector/webanalytics")
	require.NoError(t, a.Set(ctx, "checkpoint", []byte("a")))
	assert.Nil(t, get(t, b, "checkpoint"))
}

func TestLargeValuesAreSplitAndShrinkWithoutLeftovers(t *testing.T) {
	ctx := context.Background()
	p := &partition{}
	s := NewStore()
	c := s.Client("x")
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*FragmentBytes/16+5) // 4 fragments
	require.NoError(t, c.Set(ctx, "sessions", big))
	records := s.Cut()
	s.Commit()
	p.records = append(p.records, records...)
	for _, r := range records {
		assert.LessOrEqual(t, len(r.Value), FragmentBytes+16, "no record is larger than a fragment")
	}
	assert.Len(t, records, 5, "4 fragments and the head")
	assert.Equal(t, big, get(t, p.load(t).Client("x"), "sessions"))

	medium := bytes.Repeat([]byte("m"), FragmentBytes+1) // 2 fragments
	require.NoError(t, c.Set(ctx, "sessions", medium))
	p.commit(s)
	assert.Equal(t, medium, get(t, p.compacted().load(t).Client("x"), "sessions"))
	assert.Len(t, p.compacted().records, 3, "the 2 fragments left over from the larger value were removed")

	require.NoError(t, c.Delete(ctx, "sessions"))
	p.commit(s)
	assert.Empty(t, p.compacted().records, "a delete removes the head and every fragment")
}

// A store whose partition has restored keeps no values, and writes the
// changelog as one that kept them does: the same records at each commit,
// the same size, and what a new owner loads is what was written.
func TestARestoredStoreWritesAsOneThatKeptItsValues(t *testing.T) {
	ctx := context.Background()
	p := &partition{}
	kept, restored := NewStore(), NewStore()
	restored.Restored()
	want := map[string][]byte{}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"checkpoint", "wal/1", "wal/2", "sessions", "empty"}
	for turn := range 200 {
		for range rng.IntN(4) {
			key := keys[rng.IntN(len(keys))]
			var value []byte
			switch rng.IntN(4) {
			case 0: // a delete
			case 1:
				value = bytes.Repeat([]byte{byte(turn)}, FragmentBytes+rng.IntN(2*FragmentBytes))
			default:
				value = []byte(fmt.Sprint(turn))
			}
			for _, s := range []*Store{kept, restored} {
				c := s.Client("x")
				if value == nil {
					require.NoError(t, c.Delete(ctx, key))
				} else {
					require.NoError(t, c.Set(ctx, key, value))
				}
			}
			if value == nil {
				delete(want, "x/"+key)
			} else {
				want["x/"+key] = value
			}
		}
		var size int64
		for key, value := range want {
			size += int64(len(key) + len(value))
		}
		require.Equal(t, size, kept.Size(), "turn %d", turn)
		require.Equal(t, size, restored.Size(), "turn %d", turn)
		records := kept.Cut()
		require.Equal(t, records, restored.Cut(), "turn %d", turn)
		if rng.IntN(5) == 0 {
			// Aborted: a new owner (and the rebuild) reads what was committed.
			kept, restored = p.load(t), p.load(t)
			restored.Restored()
			want = maps.Clone(p.load(t).values)
			continue
		}
		kept.Commit()
		restored.Commit()
		p.records = append(p.records, records...)
		assert.Equal(t, want, p.load(t).values, "turn %d", turn)
		assert.Equal(t, want, p.compacted().load(t).values, "turn %d", turn)
	}
	assert.Nil(t, restored.values, "no value is kept")
	_, err := restored.Client("x").Get(ctx, "checkpoint")
	assert.ErrorIs(t, err, errRestored, "a read after the restore is an error, not an empty state")
	require.NoError(t, restored.Client("x").Set(ctx, "after", []byte("x")))
	restored.Close()
	assert.ErrorIs(t, restored.Client("x").Set(ctx, "k", []byte("late")), ErrClosed, "a dropped state takes no more writes")
	_, err = restored.Client("x").Get(ctx, "k")
	assert.ErrorIs(t, err, ErrClosed)
}

func TestBatchGetSeesTheWritesBeforeIt(t *testing.T) {
	ctx := context.Background()
	c := NewStore().Client("x")
	read := storage.GetOperation("k")
	require.NoError(t, c.Batch(ctx, storage.SetOperation("k", []byte("v")), read))
	assert.Equal(t, []byte("v"), read.Value)
}

func TestADamagedChangelogIsAnError(t *testing.T) {
	ctx := context.Background()
	s := NewStore()
	require.NoError(t, s.Client("x").Set(ctx, "sessions", bytes.Repeat([]byte("z"), 2*FragmentBytes+1)))
	records := s.Cut()
	l := NewLoader()
	for _, r := range records {
		if bytes.Equal(r.Key, fragmentOf("x/sessions", 1)) {
			continue // lost
		}
		l.Add(r.Key, r.Value)
	}
	_, err := l.Store()
	assert.ErrorContains(t, err, "fragment 1 of 3 missing")

	l = NewLoader()
	l.Add(headOf("x/k"), []byte{7})
	_, err = l.Store()
	assert.ErrorIs(t, err, errBadHead)
}

// FuzzLoad rebuilds a partition from arbitrary changelog records (a damaged
// topic, or one another program wrote): it never panics, and whatever it
// accepts reads back as a store whose values its own records rebuild.
func FuzzLoad(f *testing.F) {
	s := NewStore()
	require.NoError(f, s.Client("x").Set(context.Background(), "big", bytes.Repeat([]byte("b"), FragmentBytes+3)))
	require.NoError(f, s.Client("x").Set(context.Background(), "small", []byte("s")))
	var seed []byte
	for _, r := range s.Cut() {
		seed = appendRecord(seed, r)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		l := NewLoader()
		for len(data) > 0 {
			var r Record
			r, data = nextRecord(data)
			l.Add(r.Key, r.Value)
		}
		loaded, err := l.Store()
		if err != nil {
			return
		}
		p := &partition{records: loaded.recordsOfAll()}
		again := p.load(t)
		assert.Equal(t, loaded.values, again.values)
	})
}

// appendRecord and nextRecord frame records in fuzz input: a length byte
// for the key, one for the value, then both.
func appendRecord(b []byte, r Record) []byte {
	v := r.Value
	if len(v) > 255 {
		v = v[:255] // a seed need not be whole; the fuzzer explores from it
	}
	b = append(b, byte(len(r.Key)), byte(len(v)))
	return append(append(b, r.Key...), v...)
}

func nextRecord(b []byte) (Record, []byte) {
	if len(b) < 2 {
		return Record{Key: b}, nil
	}
	k, v := int(b[0]), int(b[1])
	b = b[2:]
	k = min(k, len(b))
	key := b[:k]
	b = b[k:]
	v = min(v, len(b))
	return Record{Key: key, Value: b[:v]}, b[v:]
}

// recordsOfAll is every value of the store as records, as a first commit
// would write them.
func (s *Store) recordsOfAll() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fragments = map[string]int{}
	var out []Record
	for key, value := range s.values {
		out = append(out, s.recordsOf(key, value)...)
	}
	return out
}

// A key set and deleted between two commits never reaches the changelog:
// not its value, not a tombstone.
func TestAKeySetAndDeletedBeforeACommitWritesNothing(t *testing.T) {
	ctx := context.Background()
	p := &partition{}
	s := NewStore()
	c := s.Client("processor/sessionize")
	require.NoError(t, c.Set(ctx, "kept", []byte("one")))
	p.commit(s)
	require.NoError(t, c.Set(ctx, "wal/2", bytes.Repeat([]byte("x"), 3*FragmentBytes)))
	require.NoError(t, c.Delete(ctx, "wal/2"))
	require.NoError(t, c.Delete(ctx, "kept"))
	records := s.Cut()
	s.Commit()
	require.Len(t, records, 1, "only the tombstone of the committed key")
	assert.Nil(t, records[0].Value)
	p.records = append(p.records, records...)
	assert.Nil(t, get(t, p.load(t).Client("processor/sessionize"), "kept"))
}
