// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/jsoncount"
)

// MoreRecordsThan reports whether an OTLP logs request holds more than limit
// log records, from the body's structure alone: a small compressed body can
// hold hundreds of thousands of empty records, and decoding them costs far
// more than a request pays. On a well-formed request the count is exact
// (the JSON scan may count more, for records under unknown fields, which
// the decoder ignores); a body it cannot read is left to the decoder, whose
// count still applies after decoding (the JSON decoder also reads some
// broken JSON, and finds records the scan does not).
func MoreRecordsThan(enc Encoding, body []byte, limit int) bool {
	if enc == Protobuf {
		return moreProtoRecords(body, limit)
	}
	return jsoncount.MoreThan(body, limit, false, "logRecords", "log_records")
}

// Field numbers of ExportLogsServiceRequest.resource_logs,
// ResourceLogs.scope_logs and ScopeLogs.log_records.
const (
	fieldResourceLogs protowire.Number = 1
	fieldScopeLogs    protowire.Number = 2
	fieldLogRecords   protowire.Number = 2
)

func moreProtoRecords(body []byte, limit int) bool {
	count := 0
	return anyField(body, fieldResourceLogs, func(rl []byte) bool {
		return anyField(rl, fieldScopeLogs, func(sl []byte) bool {
			return anyField(sl, fieldLogRecords, func([]byte) bool {
				count++
				return count > limit
			})
		})
	})
}

// anyField calls visit with each length-delimited field number of msg
// until visit returns true, and reports whether it did.
func anyField(msg []byte, number protowire.Number, visit func([]byte) bool) bool {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return false
		}
		msg = msg[n:]
		if num == number && typ == protowire.BytesType {
			value, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return false
			}
			if visit(value) {
				return true
			}
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return false
		}
		msg = msg[m:]
	}
	return false
}
