// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package changelog keeps one Kafka partition's share of the state of the
// sessionizer and the webanalytics connector in a compacted changelog
// partition. A Store is the storage.Client they write their write-ahead log
// and checkpoints to; its writes since the last commit are cut into changelog
// records and committed in the same Kafka transaction as the consumer
// offsets of the events that caused them, so that the changelog always holds
// the state at a committed input position: what a new owner of the
// partition restores.
package changelog // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// ErrClosed is returned by a Store that was replaced: its partition was
// revoked, or its transaction aborted and the state rebuilt.
var ErrClosed = errors.New("changelog: partition state was dropped")

// errRestored is returned by a read after Restored: the store no longer
// holds the values, only what it needs to write the changelog.
var errRestored = errors.New("changelog: the state is read only while its partition restores")

// write is one Set (value non-nil) or Delete (value nil) of a storage key.
type write struct {
	key   string
	value []byte
}

// Store is one partition's storage: what the changelog holds and the
// writes since. It is safe for concurrent use: the sessionizer's owner,
// its checkpoint writer and the connector all write to it.
//
// The partition's components read it only while they restore. After that
// (Restored) it keeps no value, only each key's size: the state lives in
// the components, and the serialized copy, up to three times a base of
// the sessions (a base and the deltas after it), would add as much again
// to the processing tier's memory. An aborted transaction rebuilds the
// partition by reading its changelog, as a new owner does.
type Store struct {
	mu     sync.Mutex
	closed bool
	// values is what Get sees until Restored: what the changelog held plus
	// every write since. nil after.
	values map[string][]byte
	// sizes are the value sizes of the keys Get would find, for Size.
	sizes map[string]int
	// committed are the keys the changelog holds, whose delete it must be
	// told.
	committed map[string]bool
	// pending are the writes not cut yet; inFlight those cut into the
	// records of a transaction not ended yet.
	pending, inFlight []write
	// fragments is how many fragments each key has in the changelog once
	// the records cut so far are committed: the ones a shorter value or a
	// delete must remove.
	fragments map[string]int
}

// NewStore returns an empty partition state.
func NewStore() *Store { return newStore(map[string][]byte{}) }

func newStore(values map[string][]byte) *Store {
	s := &Store{values: values, sizes: map[string]int{}, committed: map[string]bool{}, fragments: map[string]int{}}
	for key, value := range values {
		s.sizes[key] = len(value)
		s.committed[key] = true
		s.fragments[key] = fragmentCount(len(value))
	}
	return s
}

// Restored tells the store that the partition's components have read what
// they restore from it: it drops the values, and later reads fail.
func (s *Store) Restored() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values = nil
}

// Client returns the store's view for one component: its keys live under
// namespace, so that two components writing the same key do not collide.
func (s *Store) Client(namespace string) storage.Client {
	return &client{store: s, prefix: namespace + "/"}
}

// Cut takes the writes since the last cut and returns the changelog records
// that make them durable; Commit or Reopen must follow before the next Cut.
func (s *Store) Cut() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := map[string][]byte{}
	for _, w := range s.pending {
		latest[w.key] = w.value
	}
	s.inFlight = append(s.inFlight, s.pending...)
	s.pending = nil
	var records []Record
	for _, key := range slices.Sorted(maps.Keys(latest)) {
		if !s.committed[key] && latest[key] == nil {
			// Set and deleted since the last commit (a write-ahead entry
			// whose events were placed before it): the changelog never
			// held it.
			continue
		}
		records = append(records, s.recordsOf(key, latest[key])...)
	}
	return records
}

// Dirty reports whether there are writes to cut.
func (s *Store) Dirty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending) > 0
}

// Commit notes that the records of the last Cut are committed.
func (s *Store) Commit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.inFlight {
		if w.value == nil {
			delete(s.committed, w.key)
		} else {
			s.committed[w.key] = true
		}
	}
	s.inFlight = nil
}

// Close drops the partition's state: later writes fail with ErrClosed.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}

// Size is the bytes of the partition's state: what its changelog holds,
// with the writes since the last commit, for the state size gauge.
func (s *Store) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for key, size := range s.sizes {
		n += int64(len(key) + size)
	}
	return n
}

func (s *Store) get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, ErrClosed
	case s.values == nil:
		return nil, errRestored
	}
	return slices.Clone(s.values[key]), nil
}

// apply runs the writes of one storage call together.
func (s *Store) apply(writes []write) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for _, w := range writes {
		if w.value == nil {
			delete(s.values, w.key)
			delete(s.sizes, w.key)
		} else {
			if s.values != nil {
				s.values[w.key] = w.value
			}
			s.sizes[w.key] = len(w.value)
		}
	}
	s.pending = append(s.pending, writes...)
	return nil
}

type client struct {
	store  *Store
	prefix string
}

func (c *client) Get(_ context.Context, key string) ([]byte, error) {
	return c.store.get(c.prefix + key)
}

func (c *client) Set(_ context.Context, key string, value []byte) error {
	return c.store.apply([]write{c.set(key, value)})
}

func (c *client) Delete(_ context.Context, key string) error {
	return c.store.apply([]write{{key: c.prefix + key}})
}

// Batch runs its Set and Delete operations as one write (they reach the
// changelog in the same transaction) and fills in its Gets.
func (c *client) Batch(_ context.Context, ops ...*storage.Operation) error {
	var writes []write
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			if len(writes) > 0 {
				if err := c.store.apply(writes); err != nil {
					return err
				}
				writes = nil
			}
			value, err := c.store.get(c.prefix + op.Key)
			if err != nil {
				return err
			}
			op.Value = value
		case storage.Set:
			writes = append(writes, c.set(op.Key, op.Value))
		case storage.Delete:
			writes = append(writes, write{key: c.prefix + op.Key})
		}
	}
	if len(writes) == 0 {
		return nil
	}
	return c.store.apply(writes)
}

func (*client) Close(context.Context) error { return nil }

// set copies value: the caller may reuse it, and an empty value must stay
// distinct from a delete.
func (c *client) set(key string, value []byte) write {
	v := make([]byte, len(value))
	copy(v, value)
	return write{key: c.prefix + key, value: v}
}
