// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// pdataDecode is the ground truth: what pdata's own decoder makes of body.
func pdataDecode(body []byte) (plog.Logs, error) {
	req := plogotlp.NewExportRequest()
	err := req.UnmarshalJSON(body)
	return req.Logs(), err
}

// requireSameLogs compares two decodings by their OTLP encoding, which
// holds every field.
func requireSameLogs(t testing.TB, want, got plog.Logs, msg string) {
	t.Helper()
	var m plog.ProtoMarshaler
	wantBytes, err := m.MarshalLogs(want)
	require.NoError(t, err)
	gotBytes, err := m.MarshalLogs(got)
	require.NoError(t, err)
	require.Equal(t, wantBytes, gotBytes, msg)
}

// trackerBody is what footfall.js sends: numbers as JSON numbers, as its
// core.js writes them.
const trackerBody = `{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":"example"}}]},
 "scopeLogs":[{"scope":{"name":"footfall.js","version":"0.1.0"},"logRecords":[
  {"timeUnixNano":"1795000000000000000","eventName":"browser.page_view","attributes":[
    {"key":"log.record.uid","value":{"stringValue":"0b8f7c1e-0001"}},
    {"key":"url.full","value":{"stringValue":"https://www.example.com/pricing?utm_source=news"}},
    {"key":"footfall.referrer","value":{"stringValue":"https://www.google.com/"}}]},
  {"timeUnixNano":"1795000000500000000","eventName":"browser.engagement","attributes":[
    {"key":"log.record.uid","value":{"stringValue":"0b8f7c1e-0002"}},
    {"key":"footfall.engagement.time_ms","value":{"intValue":12500}},
    {"key":"footfall.engagement.scroll_depth","value":{"intValue":"80"}},
    {"key":"footfall.web_vital.value","value":{"doubleValue":0.125}},
    {"key":"footfall.event.interactive","value":{"boolValue":false}},
    {"key":"empty","value":{}}]}]}]}]}`

// The payloads browsers send take the fast path and decode as pdata
// decodes them: the tracker's, the OTel JS SDK's and the golden requests.
func TestFastJSONDecodesWhatBrowsersSend(t *testing.T) {
	bodies := map[string][]byte{"tracker": []byte(trackerBody)}
	golden, err := filepath.Glob(filepath.Join("..", "..", "testdata", "golden", "*", "request.json"))
	require.NoError(t, err)
	require.NotEmpty(t, golden)
	for _, path := range golden {
		body, err := os.ReadFile(path)
		require.NoError(t, err)
		bodies[path] = body
	}
	marshaled, err := plogotlp.NewExportRequestFromLogs(oneRecord(func(lr plog.LogRecord) {
		lr.Attributes().PutStr("url.full", "https://example.com/")
		lr.Attributes().PutInt("n", -42)
		lr.Body().SetStr("body")
	})).MarshalJSON()
	require.NoError(t, err)
	bodies["pdata's own encoding"] = marshaled

	fast := 0
	for name, body := range bodies {
		want, err := pdataDecode(body)
		require.NoError(t, err, name)
		got, ok := decodeJSONFast(body, derivedRoom)
		if bytes.Contains(body, []byte("kvlistValue")) || bytes.Contains(body, []byte("arrayValue")) {
			// A map or a list of values (custom properties the tracker
			// would flatten) is left to pdata.
			require.False(t, ok, name)
			continue
		}
		require.True(t, ok, "%s takes the fast path", name)
		requireSameLogs(t, want, got, name)
		require.Positive(t, got.LogRecordCount(), name)
		fast++
	}
	assert.GreaterOrEqual(t, fast, 4, "the tracker's, pdata's and three golden requests")
}

// What the fast decoder does not know goes to pdata's decoder, which
// Decode then uses: the result is pdata's.
func TestFastJSONLeavesTheRestToPdata(t *testing.T) {
	record := func(fields string) string {
		return `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{` + fields + `}]}]}]}`
	}
	for name, body := range map[string]string{
		"snake_case":         `{"resource_logs":[{"scope_logs":[{"log_records":[{"event_name":"x"}]}]}]}`,
		"escaped string":     record(`"eventName":"a\"b"`),
		"unicode escape":     record(`"eventName":"caf\u00e9"`),
		"array value":        record(`"attributes":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":1}]}}}]`),
		"map value":          record(`"attributes":[{"key":"a","value":{"kvlistValue":{"values":[]}}}]`),
		"bytes value":        record(`"attributes":[{"key":"a","value":{"bytesValue":"AQI="}}]`),
		"trace id":           record(`"traceId":"0102030405060708090a0b0c0d0e0f10"`),
		"severity name":      record(`"severityNumber":"SEVERITY_NUMBER_INFO"`),
		"null":               record(`"eventName":null`),
		"unknown field":      record(`"eventName":"x","somethingElse":1`),
		"duplicate key":      record(`"attributes":[{"key":"a","value":{"intValue":1}},{"key":"a","value":{"intValue":2}}]`),
		"fractional int":     record(`"attributes":[{"key":"a","value":{"intValue":1.5}}]`),
		"leading zero":       record(`"timeUnixNano":0123`),
		"trailing bytes":     `{"resourceLogs":[]} {}`,
		"trailing comma":     record(`"eventName":"x",`),
		"empty object key":   `{"":1,"resourceLogs":[]}`,
		"int out of range":   record(`"attributes":[{"key":"a","value":{"intValue":9223372036854775808}}]`),
		"flags out of range": record(`"flags":4294967296`),
	} {
		_, ok := decodeJSONFast([]byte(body), derivedRoom)
		assert.False(t, ok, "%s is left to pdata", name)
		want, wantErr := pdataDecode([]byte(body))
		got, err := Decode(JSON, []byte(body))
		if wantErr != nil {
			assert.Error(t, err, name)
			continue
		}
		require.NoError(t, err, name)
		requireSameLogs(t, want, got, name)
	}
}

// The fast decoder leaves room on each record for what enrichment derives,
// so that enrichment does not copy the attributes again; pdata's decoder
// leaves none. The tracker's first record is a page view with a query, for
// which enrichment derives the most.
func TestFastJSONLeavesRoomForDerivedAttributes(t *testing.T) {
	fast := func() plog.Logs {
		logs, ok := decodeJSONFast([]byte(trackerBody), derivedRoom)
		require.True(t, ok)
		return logs
	}
	slow := func() plog.Logs {
		logs, err := pdataDecode([]byte(trackerBody))
		require.NoError(t, err)
		return logs
	}
	assert.Zero(t, allocsToMakeRoom(fast), "room for %d more", derivedRoom(true, true))
	assert.Positive(t, allocsToMakeRoom(slow), "pdata's decoder leaves none (the check can fail)")
}

// allocsToMakeRoom is the allocations of making room for a page view with
// a query on
// the first record of a decoding, each run on a fresh one.
func allocsToMakeRoom(decode func() plog.Logs) float64 {
	const runs = 20
	fresh := make([]plog.Logs, runs+1) // AllocsPerRun runs once more first
	for i := range fresh {
		fresh[i] = decode()
	}
	next := 0
	return testing.AllocsPerRun(runs, func() {
		attrs := fresh[next].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
		next++
		attrs.EnsureCapacity(attrs.Len() + derivedRoom(true, true))
	})
}

// FuzzFastJSONDecodesAsPdata: whatever the fast decoder decodes, pdata's
// decoder decodes too, to the same logs.
func FuzzFastJSONDecodesAsPdata(f *testing.F) {
	f.Add([]byte(trackerBody))
	f.Add([]byte(`{"resourceLogs":[{"schemaUrl":"s","resource":{"droppedAttributesCount":2},"scopeLogs":[{"scope":{"attributes":[],"droppedAttributesCount":"1"},"logRecords":[{"severityText":"INFO","severityNumber":9,"flags":1,"droppedAttributesCount":3,"observedTimeUnixNano":17,"body":{"doubleValue":-1.5e-3}}]}]}]}`))
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"a","value":{"intValue":-9223372036854775808,"stringValue":"s"}}],"body":{"boolValue":true}}]}]}]}`))
	f.Add([]byte(` { "resourceLogs" : [ ] } `))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := decodeJSONFast(body, derivedRoom)
		if !ok {
			return
		}
		want, err := pdataDecode(body)
		if err != nil {
			t.Fatalf("the fast decoder read what pdata refuses (%v): %q", err, body)
		}
		requireSameLogs(t, want, got, string(body))
	})
}
