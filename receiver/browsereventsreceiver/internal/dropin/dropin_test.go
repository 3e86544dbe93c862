// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/schema"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the expected events from the current code")

// TestGolden decodes every payload of testdata/<format>/*.json, captured
// from the real SDKs in Chromium (tests/e2e/browser/capture.mjs), and
// compares the events with testdata/<format>/<case>.yaml.
func TestGolden(t *testing.T) {
	decoders := map[string]func([]byte, int) (Decoded, error){
		"faro":      DecodeFaro,
		"plausible": DecodePlausible,
	}
	for format, decode := range decoders {
		inputs, err := filepath.Glob(filepath.Join("testdata", format, "*.json"))
		require.NoError(t, err)
		require.NotEmpty(t, inputs, "no captured %s payloads", format)
		for _, input := range inputs {
			name := strings.TrimSuffix(filepath.Base(input), ".json")
			t.Run(format+"/"+name, func(t *testing.T) {
				body, err := os.ReadFile(input)
				require.NoError(t, err)
				decoded, err := decode(body, 100)
				require.NoError(t, err)
				assert.Zero(t, decoded.Rejected, "%v", decoded.Messages)
				expected := strings.TrimSuffix(input, ".json") + ".yaml"
				if *updateGolden {
					require.NoError(t, golden.WriteLogsToFile(expected, decoded.Logs))
				}
				want, err := golden.ReadLogs(expected)
				require.NoError(t, err)
				require.NoError(t, plogtest.CompareLogs(want, decoded.Logs))
			})
		}
	}
}

// interactive: false (or the tracker's "i") marks the event as no
// interaction; true or absent adds nothing.
func TestPlausibleInteractive(t *testing.T) {
	for body, want := range map[string]bool{
		`{"n":"x","u":"https://a/","d":"a","interactive":false}`: true,
		`{"n":"x","u":"https://a/","d":"a","i":false}`:           true,
		`{"n":"x","u":"https://a/","d":"a","i":true}`:            false,
		`{"n":"x","u":"https://a/","d":"a"}`:                     false,
	} {
		d, err := DecodePlausible([]byte(body), 1)
		require.NoError(t, err)
		_, marked := d.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(schema.AttrEventInteractive)
		assert.Equal(t, want, marked, body)
	}
}

// A small body of many items is refused while it is decoded, before any
// item is mapped.
func TestFaroItemsAreCountedBeforeMapping(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"meta":{"page":{"url":"https://x/"},"session":{"id":"s"}},"events":[`)
	for i := range 80_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"e"}`)
	}
	b.WriteString(`]}`)
	_, err := DecodeFaro([]byte(b.String()), 100)
	var tooMany *TooManyEventsError
	require.ErrorAs(t, err, &tooMany)
	assert.Zero(t, tooMany.Items, "decoding stopped at the limit, before counting them all")
	assert.Equal(t, 100, tooMany.Limit)

	d, err := DecodeFaro([]byte(`{"meta":{"page":{"url":"https://x/"},"session":{"id":"s"}},"events":[{"name":"a"},{"name":"b"}]}`), 3)
	require.NoError(t, err, "at the limit: a page view and two events")
	assert.Equal(t, 3, d.Logs.LogRecordCount())
}

// Without a session id, two visitors' identical events must not share an
// id (one would be dropped as a duplicate of the other): no id is derived,
// and the receiver gives each a random one.
func TestFaroDerivesIDsOnlyWithASession(t *testing.T) {
	const event = `"events":[{"name":"signup","attributes":{"plan":"pro"},"timestamp":"2026-11-18T09:29:59.100Z"}],` +
		`"measurements":[{"type":"web-vitals","values":{"cls":0.1},"timestamp":"2026-11-18T09:29:59.200Z"}]`
	without, err := DecodeFaro([]byte(`{"meta":{"page":{"url":"https://x/"}},`+event+`}`), 100)
	require.NoError(t, err)
	require.Equal(t, 2, without.Logs.LogRecordCount())
	for _, lr := range without.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
		_, has := lr.Attributes().Get(schema.AttrEventID)
		assert.False(t, has, lr.EventName())
	}
	with, err := DecodeFaro([]byte(`{"meta":{"page":{"url":"https://x/"},"session":{"id":"s1"}},`+event+`}`), 100)
	require.NoError(t, err)
	for _, lr := range with.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
		id, has := lr.Attributes().Get(schema.AttrEventID)
		assert.True(t, has, lr.EventName())
		assert.True(t, strings.HasPrefix(id.Str(), "faro-"))
	}
}
