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
	decoders := map[string]func([]byte) (Decoded, error){
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
				decoded, err := decode(body)
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
		d, err := DecodePlausible([]byte(body))
		require.NoError(t, err)
		_, marked := d.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(schema.AttrEventInteractive)
		assert.Equal(t, want, marked, body)
	}
}
