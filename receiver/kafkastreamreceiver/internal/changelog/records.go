// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package changelog // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// FragmentBytes is the largest value one changelog record carries. A
// checkpoint of many sessions is far larger than a Kafka message may be
// (1 MB by default), so larger values are split into fragments written in
// the same transaction as the head record that names them.
const FragmentBytes = 512 << 10

// Record is one changelog record: a nil Value is a tombstone.
type Record struct {
	Key, Value []byte
}

// The first byte of a record key says what it holds; the first byte of a
// head's value how the storage value is kept.
const (
	headKey     = 'h'
	fragmentKey = 'f'

	inline     = 0
	fragmented = 1
)

func fragmentCount(size int) int {
	if size <= FragmentBytes {
		return 0
	}
	return (size + FragmentBytes - 1) / FragmentBytes
}

func headOf(key string) []byte { return append([]byte{headKey}, key...) }

// fragmentOf names fragment i of key; the key's length comes first so that
// no key's fragment can be read as another key's.
func fragmentOf(key string, i int) []byte {
	b := []byte{fragmentKey}
	b = strconv.AppendInt(b, int64(len(key)), 10)
	b = append(b, ':')
	b = append(b, key...)
	b = append(b, ':')
	return strconv.AppendInt(b, int64(i), 10)
}

// recordsOf returns the records that set key to value (nil deletes it), and
// the tombstones of the fragments it had and no longer has. s.mu is held.
func (s *Store) recordsOf(key string, value []byte) []Record {
	had := s.fragments[key]
	n := fragmentCount(len(value))
	var records []Record
	switch {
	case value == nil:
		records = append(records, Record{Key: headOf(key)})
		delete(s.fragments, key)
	case n == 0:
		records = append(records, Record{Key: headOf(key), Value: append([]byte{inline}, value...)})
		delete(s.fragments, key)
	default:
		for i := range n {
			end := min(len(value), (i+1)*FragmentBytes)
			records = append(records, Record{Key: fragmentOf(key, i), Value: value[i*FragmentBytes : end]})
		}
		head := binary.AppendUvarint([]byte{fragmented}, uint64(n))
		head = binary.AppendUvarint(head, uint64(len(value)))
		records = append(records, Record{Key: headOf(key), Value: head})
		s.fragments[key] = n
	}
	for i := n; i < had; i++ {
		records = append(records, Record{Key: fragmentOf(key, i)})
	}
	return records
}

// Loader rebuilds a partition's state from its changelog records, read in
// offset order from the start of the (compacted) partition.
type Loader struct {
	latest map[string][]byte
}

// NewLoader starts an empty rebuild.
func NewLoader() *Loader { return &Loader{latest: map[string][]byte{}} }

// Add takes the next record of the partition. An empty value is a
// tombstone too: the store never writes one (a head has at least its kind
// byte, a fragment at least one byte), and clients differ on whether a null
// value arrives as nil or empty.
func (l *Loader) Add(key, value []byte) {
	if len(value) == 0 {
		delete(l.latest, string(key))
		return
	}
	l.latest[string(key)] = value
}

// Store assembles the values the heads name. A head whose fragments are
// missing or of the wrong size means the changelog was written by something
// else, or damaged: that is an error, not an empty state.
func (l *Loader) Store() (*Store, error) {
	values := map[string][]byte{}
	for recordKey, head := range l.latest {
		if len(recordKey) == 0 || recordKey[0] != headKey {
			continue
		}
		key := recordKey[1:]
		value, err := l.assemble(key, head)
		if err != nil {
			return nil, fmt.Errorf("changelog key %q: %w", key, err)
		}
		values[key] = value
	}
	return newStore(values), nil
}

var errBadHead = errors.New("malformed head record")

func (l *Loader) assemble(key string, head []byte) ([]byte, error) {
	if len(head) == 0 {
		return nil, errBadHead
	}
	switch head[0] {
	case inline:
		return append([]byte{}, head[1:]...), nil
	case fragmented:
	default:
		return nil, errBadHead
	}
	n, used := binary.Uvarint(head[1:])
	if used <= 0 || n == 0 || n > 1<<20 {
		return nil, errBadHead
	}
	size, used2 := binary.Uvarint(head[1+used:])
	if used2 <= 0 || size > n*FragmentBytes {
		return nil, errBadHead
	}
	// The fragments are found and measured before anything is allocated: a
	// damaged head must not make the restore allocate what it claims.
	fragments := make([][]byte, 0, min(n, 1024))
	total := uint64(0)
	for i := range int(n) {
		fragment, ok := l.latest[string(fragmentOf(key, i))]
		if !ok {
			return nil, fmt.Errorf("fragment %d of %d missing", i, n)
		}
		fragments = append(fragments, fragment)
		total += uint64(len(fragment))
	}
	if total != size {
		return nil, fmt.Errorf("fragments hold %d bytes, head says %d", total, size)
	}
	value := make([]byte, 0, size)
	for _, fragment := range fragments {
		value = append(value, fragment...)
	}
	return value, nil
}
