// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// requestOf is an OTLP request of resources × scopes × records empty
// records, with an attribute whose value spells the structure's keys, so
// that a scan reading strings as keys would miscount.
func requestOf(resources, scopes, records int) plog.Logs {
	ld := plog.NewLogs()
	for range resources {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("logRecords", `[{"logRecords":[{}]}]`)
		for range scopes {
			sl := rl.ScopeLogs().AppendEmpty()
			for range records {
				sl.LogRecords().AppendEmpty().Attributes().PutEmptyMap("logRecords").PutStr("x", "{")
			}
		}
	}
	return ld
}

// The scan agrees with the decoder on the record count, in both encodings,
// at and around the limit.
func TestMoreRecordsThan(t *testing.T) {
	for _, shape := range [][3]int{{1, 1, 0}, {1, 1, 100}, {1, 1, 101}, {3, 4, 9}, {2, 2, 25}, {2, 2, 26}} {
		ld := requestOf(shape[0], shape[1], shape[2])
		total := ld.LogRecordCount()
		req := plogotlp.NewExportRequestFromLogs(ld)
		jsonBody, err := req.MarshalJSON()
		require.NoError(t, err)
		protoBody, err := req.MarshalProto()
		require.NoError(t, err)
		for _, limit := range []int{0, 1, 100, total - 1, total, total + 1} {
			if limit < 0 {
				continue
			}
			name := fmt.Sprintf("%v records, limit %d", shape, limit)
			assert.Equal(t, total > limit, MoreRecordsThan(JSON, jsonBody, limit), "JSON: "+name)
			assert.Equal(t, total > limit, MoreRecordsThan(Protobuf, protoBody, limit), "protobuf: "+name)
		}
	}
}

// The snake_case field names protojson also accepts are counted, and a body
// that is no JSON or protobuf is left to the decoder.
func TestMoreRecordsThanOtherShapes(t *testing.T) {
	snake := `{"resource_logs":[{"scope_logs":[{"log_records":[{},{},{}]}]}]}`
	assert.True(t, MoreRecordsThan(JSON, []byte(snake), 2))
	assert.False(t, MoreRecordsThan(JSON, []byte(snake), 3))
	for _, junk := range []string{"", "{", `"`, `]]]`, strings.Repeat("[", 1000)} {
		assert.False(t, MoreRecordsThan(JSON, []byte(junk), 0), junk)
		assert.False(t, MoreRecordsThan(Protobuf, []byte(junk), 0), junk)
	}
}
