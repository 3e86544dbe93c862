// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// A request's body buffer is lent to the next request once the first is
// decoded: what the first delivered must not change when the second
// overwrites the buffer, in any format. Each format's second body is its
// first with the same number of other bytes, so that it reuses the buffer.
func TestTheNextRequestLeavesDeliveredEventsAsTheyWere(t *testing.T) {
	otlpJSON, otlpProto := benchBody(t, 3, false), benchBody(t, 3, true)
	for _, tc := range []struct {
		name, path, contentType string
		body                    []byte
		from, to                string
	}{
		{"otlp json", logsPath, "application/json", otlpJSON, "0b8f7c1e", "9d3a6f20"},
		{"otlp protobuf", logsPath, "application/x-protobuf", otlpProto, "0b8f7c1e", "9d3a6f20"},
		{"faro", defaultFaroPath, "application/json", []byte(faroPayload), "pricing", "checkou"},
		{"plausible", defaultPlausiblePath, "text/plain", []byte(plausiblePageView), "pricing", "checkou"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startReceiver(t, dropinConfig(t), nil)
			send := func(body []byte) {
				resp, respBody := h.do(t, request{path: tc.path, contentType: tc.contentType, origin: siteOrigin, userAgent: chromeUA, body: body})
				require.Less(t, resp.StatusCode, http.StatusMultipleChoices, "%s", respBody)
			}
			send(tc.body)
			require.Len(t, h.sink.AllLogs(), 1)
			first := h.sink.AllLogs()[0]
			before := encodeLogs(t, first)
			second := bytes.ReplaceAll(tc.body, []byte(tc.from), []byte(tc.to[:len(tc.from)]))
			require.NotEqual(t, tc.body, second)
			for range 20 {
				send(second)
			}
			require.Equal(t, string(before), string(encodeLogs(t, first)), "the first request's events")
		})
	}
}

func encodeLogs(t *testing.T, ld plog.Logs) []byte {
	t.Helper()
	data, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return data
}
