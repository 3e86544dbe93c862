// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// checkpointVersion is bumped whenever the encoding changes; UnmarshalBinary
// refuses versions it does not know instead of guessing.
const checkpointVersion = 1

const entrySize = 8 + 8 + 8

// MarshalBinary encodes the remembered ids, oldest first.
func (c *Cache) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+c.size*entrySize)
	out = append(out, checkpointVersion)
	out = binary.AppendUvarint(out, uint64(c.size))
	for i := range c.size {
		e := c.order[(c.head+i)%len(c.order)]
		out = binary.BigEndian.AppendUint64(out, e.key[0])
		out = binary.BigEndian.AppendUint64(out, e.key[1])
		out = binary.BigEndian.AppendUint64(out, uint64(e.seen))
	}
	return out, nil
}

// UnmarshalBinary replaces the cache's contents with a checkpoint. When the
// checkpoint holds more ids than this cache may, the newest are kept.
func (c *Cache) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return errors.New("dedup checkpoint is empty")
	}
	if data[0] != checkpointVersion {
		return fmt.Errorf("dedup checkpoint has version %d; this build reads version %d", data[0], checkpointVersion)
	}
	count, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return errors.New("dedup checkpoint is corrupt: bad entry count")
	}
	body := data[1+n:]
	if len(body)%entrySize != 0 || count != uint64(len(body)/entrySize) {
		return fmt.Errorf("dedup checkpoint is corrupt: %d entries in %d bytes", count, len(body))
	}
	entries := len(body) / entrySize
	fresh := New(c.window, c.maxEntries, c.onEvict)
	for i := max(0, entries-c.maxEntries); i < entries; i++ {
		rec := [entrySize]byte(body[i*entrySize : (i+1)*entrySize])
		e := entry{
			key:  key{binary.BigEndian.Uint64(rec[0:8]), binary.BigEndian.Uint64(rec[8:16])},
			seen: int64(binary.BigEndian.Uint64(rec[16:24])),
		}
		fresh.seen[e.key] = e.seen
		fresh.push(e)
	}
	*c = *fresh
	return nil
}
