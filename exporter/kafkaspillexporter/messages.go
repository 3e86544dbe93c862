// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/xhash"
)

// message is one Kafka message: a resource's logs (one site and visitor,
// as the browserevents receiver groups them) as OTLP protobuf, keyed by
// the hash of the resource's attributes. The key and the encoding are the
// contrib Kafka exporter's with partition_logs_by_resource_attributes and
// otlp_proto, so gateways of either kind put a visitor in one partition.
type message struct {
	key, value []byte
}

// resourceLogsTag is the protobuf tag of LogsData's resource_logs field
// (1, length-delimited).
const resourceLogsTag = 0x0a

var protoMarshaler plog.ProtoMarshaler

// toMessages marshals ld once and cuts the encoding at its resources: each
// resource_logs field is a whole LogsData by itself. A resource larger than
// maxBytes is split by records.
func toMessages(ld plog.Logs, maxBytes int) ([]message, error) {
	encoded, err := protoMarshaler.MarshalLogs(ld)
	if err != nil {
		return nil, consumererror.NewPermanent(fmt.Errorf("marshal logs: %w", err))
	}
	resources := ld.ResourceLogs()
	msgs := make([]message, 0, resources.Len())
	rest := encoded
	for i := range resources.Len() {
		field, next, err := nextResource(rest)
		if err != nil {
			return nil, err
		}
		rest = next
		rl := resources.At(i)
		hash := xhash.MapHash(rl.Resource().Attributes())
		key := hash[:]
		if len(field) <= maxBytes {
			msgs = append(msgs, message{key: key, value: field})
			continue
		}
		parts, err := split(rl, maxBytes)
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			msgs = append(msgs, message{key: key, value: p})
		}
	}
	return msgs, nil
}

// nextResource returns the first resource_logs field of b, tag included.
func nextResource(b []byte) (field, rest []byte, err error) {
	if len(b) == 0 || b[0] != resourceLogsTag {
		return nil, nil, errors.New("marshalled logs do not start with a resource")
	}
	n, size := binary.Uvarint(b[1:])
	end := 1 + size + int(n) // #nosec G115 -- bounded by len(b) below
	if size <= 0 || n > uint64(len(b)) || end > len(b) {
		return nil, nil, errors.New("marshalled logs have a bad resource length")
	}
	return b[:end], b[end:], nil
}

// split encodes rl's records in as few messages under maxBytes as halving
// finds. A single record larger than maxBytes can never be sent.
func split(rl plog.ResourceLogs, maxBytes int) ([][]byte, error) {
	records := 0
	for _, sl := range rl.ScopeLogs().All() {
		records += sl.LogRecords().Len()
	}
	return splitRange(rl, 0, records, maxBytes)
}

func splitRange(rl plog.ResourceLogs, from, to, maxBytes int) ([][]byte, error) {
	encoded, err := protoMarshaler.MarshalLogs(subset(rl, from, to))
	if err != nil {
		return nil, consumererror.NewPermanent(fmt.Errorf("marshal logs: %w", err))
	}
	if len(encoded) <= maxBytes {
		return [][]byte{encoded}, nil
	}
	if to-from <= 1 {
		return nil, consumererror.NewPermanent(fmt.Errorf("one log record encodes to %d bytes, over producer::max_message_bytes (%d)", len(encoded), maxBytes))
	}
	mid := from + (to-from)/2
	first, err := splitRange(rl, from, mid, maxBytes)
	if err != nil {
		return nil, err
	}
	second, err := splitRange(rl, mid, to, maxBytes)
	if err != nil {
		return nil, err
	}
	return append(first, second...), nil
}

// subset is rl with only its records from..to (counted across scopes).
func subset(rl plog.ResourceLogs, from, to int) plog.Logs {
	out := plog.NewLogs()
	target := out.ResourceLogs().AppendEmpty()
	rl.Resource().CopyTo(target.Resource())
	target.SetSchemaUrl(rl.SchemaUrl())
	i := 0
	for _, sl := range rl.ScopeLogs().All() {
		var scope plog.ScopeLogs
		for _, lr := range sl.LogRecords().All() {
			if i >= from && i < to {
				if scope == (plog.ScopeLogs{}) {
					scope = target.ScopeLogs().AppendEmpty()
					sl.Scope().CopyTo(scope.Scope())
					scope.SetSchemaUrl(sl.SchemaUrl())
				}
				lr.CopyTo(scope.LogRecords().AppendEmpty())
			}
			i++
		}
	}
	return out
}

func messagesBytes(msgs []message) int64 {
	n := int64(0)
	for _, m := range msgs {
		n += int64(len(m.key) + len(m.value))
	}
	return n
}

// spillEntry is the messages of one request as one spill entry: their
// count, then each key and value, each preceded by its length (uvarints).
func spillEntry(msgs []message) []byte {
	out := make([]byte, 0, messagesBytes(msgs)+int64(1+len(msgs)*2*binary.MaxVarintLen32))
	out = binary.AppendUvarint(out, uint64(len(msgs)))
	for _, m := range msgs {
		out = binary.AppendUvarint(out, uint64(len(m.key)))
		out = append(out, m.key...)
		out = binary.AppendUvarint(out, uint64(len(m.value)))
		out = append(out, m.value...)
	}
	return out
}

// errBadEntry marks a spill entry that passed its checksum but does not
// decode: written by another version, or a bug.
var errBadEntry = errors.New("spill entry does not decode")

// readSpillEntry decodes spillEntry's output; the messages share b.
func readSpillEntry(b []byte) ([]message, error) {
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, errBadEntry
	}
	b = b[n:]
	msgs := make([]message, 0, count)
	for range count {
		key, rest, ok := cutField(b)
		if !ok {
			return nil, errBadEntry
		}
		value, rest, ok := cutField(rest)
		if !ok {
			return nil, errBadEntry
		}
		msgs = append(msgs, message{key: key, value: value})
		b = rest
	}
	if len(b) != 0 {
		return nil, errBadEntry
	}
	return msgs, nil
}

func cutField(b []byte) (field, rest []byte, ok bool) {
	n, size := binary.Uvarint(b)
	if size <= 0 || n > uint64(len(b)-size) {
		return nil, nil, false
	}
	end := size + int(n) // #nosec G115 -- bounded by len(b) above
	return b[size:end], b[end:], true
}
