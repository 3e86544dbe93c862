// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package changelog

import (
	"bytes"
	"context"
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

func TestReopenReturnsToTheCommittedState(t *testing.T) {
	ctx := context.Background()
	s := NewStore()
	c := s.Client("x")
	require.NoError(t, c.Set(ctx, "k", []byte("committed")))
	s.Cut()
	s.Commit()
	require.NoError(t, c.Set(ctx, "k", []byte("cut, then aborted")))
	s.Cut()
	require.NoError(t, c.Set(ctx, "j", []byte("not cut yet")))

	r := s.Reopen()
	assert.ErrorIs(t, c.Set(ctx, "k", []byte("late")), ErrClosed, "the dropped state takes no more writes")
	_, err := c.Get(ctx, "k")
	assert.ErrorIs(t, err, ErrClosed)
	rc := r.Client("x")
	assert.Equal(t, []byte("committed"), get(t, rc, "k"))
	assert.Nil(t, get(t, rc, "j"))
	assert.False(t, r.Dirty())
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
