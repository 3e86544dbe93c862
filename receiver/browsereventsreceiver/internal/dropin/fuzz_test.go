// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// seedCaptured adds the captured payloads of format as seeds.
func seedCaptured(f *testing.F, format string) {
	inputs, err := filepath.Glob(filepath.Join("testdata", format, "*.json"))
	require.NoError(f, err)
	for _, input := range inputs {
		body, err := os.ReadFile(input)
		require.NoError(f, err)
		f.Add(body)
	}
}

// checkDecoded holds for whatever a decoder returns without an error: every
// record it made is named, none carries an attribute only the pipeline may
// write, and the records are bounded by what the body held. (Records of
// other scopes, which MapOTLP leaves alone, are /v1/logs's to check.)
func checkDecoded(t *testing.T, d Decoded, body []byte) {
	t.Helper()
	n := 0
	for _, rl := range d.Logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			if name := sl.Scope().Name(); name != FaroScope && name != PlausibleScope {
				continue
			}
			for _, lr := range sl.LogRecords().All() {
				n++
				if lr.EventName() == "" {
					t.Fatal("a record without an event name")
				}
				for k := range lr.Attributes().All() {
					if schema.IsPipelineOwned(k) {
						t.Fatalf("record carries %s, which only the pipeline writes", k)
					}
				}
			}
		}
	}
	if n > len(body) {
		t.Fatalf("%d records from %d bytes", n, len(body))
	}
}

func FuzzDecodeFaro(f *testing.F) {
	seedCaptured(f, "faro")
	f.Add([]byte(`{"meta":{"page":{"url":"https://x/"},"session":{"id":"s"}},"measurements":[{"type":"web-vitals","values":{"lcp":-1,"cls":1e308}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeFaro(body, 100)
		if err == nil {
			checkDecoded(t, d, body)
		}
	})
}

func FuzzDecodePlausible(f *testing.F) {
	seedCaptured(f, "plausible")
	f.Add([]byte(`{"name":"x","url":"https://x/","domain":"x","props":"{\"a\":1}","revenue":{"amount":"1.5","currency":"EUR"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodePlausible(body, 1)
		if err == nil {
			checkDecoded(t, d, body)
		}
	})
}

func FuzzMapOTLP(f *testing.F) {
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"scope":{"name":"@grafana/faro-web-sdk"},"logRecords":[{"attributes":[{"key":"url.full","value":{"stringValue":"https://x/"}},{"key":"session.id","value":{"stringValue":"s"}},{"key":"event.name","value":{"stringValue":"signup"}}]},{"attributes":[{"key":"measurement.type","value":{"stringValue":"web-vitals"}},{"key":"measurement.name","value":{"stringValue":"lcp"}},{"key":"measurement.value","value":{"intValue":"-3"}}]}]}]}]}`))
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"browser.navigation","attributes":[{"key":"browser.navigation.hash_change","value":{"boolValue":true}}]},{"attributes":[{"key":"event.name","value":{"stringValue":"browser.navigation"}}]}]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := plogotlp.NewExportRequest()
		if req.UnmarshalJSON(body) != nil {
			return
		}
		checkDecoded(t, MapOTLP(req.Logs()), body)
	})
}
