// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package docs holds the tests that keep the documentation true to the code.
package docs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// telemetry is the internal telemetry of this distribution's components,
// as their metadata.yaml define it: the Prometheus names mdatagen gives
// (otelcol_<name>, no unit suffix and no _total; a histogram adds _bucket,
// _sum and _count), and the name prefix of each component.
func telemetry(t *testing.T) (names, prefixes []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "*", "*", "metadata.yaml"))
	require.NoError(t, err)
	require.Len(t, files, 8, "a component was added or removed: check this test still sees all")
	for _, file := range files {
		conf, err := confmaptest.LoadConf(file)
		require.NoError(t, err)
		class, _ := conf.Get("status::class").(string)
		prefixes = append(prefixes, fmt.Sprintf("otelcol_%s_%s_", class, conf.Get("type")))
		metrics, _ := conf.Get("telemetry::metrics").(map[string]any)
		for name, def := range metrics {
			base := "otelcol_" + name
			names = append(names, base)
			if _, histogram := def.(map[string]any)["histogram"]; histogram {
				names = append(names, base+"_bucket", base+"_sum", base+"_count")
			}
		}
	}
	return names, prefixes
}

var otelcolName = regexp.MustCompile(`\botelcol_[a-z0-9_]*[a-z0-9]\b`)

// TestDocsNameTelemetryAsExported: every internal metric of ours that the
// docs, READMEs, dashboards and alert rules name is one a metadata.yaml
// defines, under the name the binary exports. (Each component's
// documentation.md, generated from its metadata.yaml, lists them all.)
func TestDocsNameTelemetryAsExported(t *testing.T) {
	names, prefixes := telemetry(t)
	var files []string
	for _, pattern := range []string{"../README.md", "*.md", "../*/*/README.md", "../dashboards/*.json", "../alerts/*.yml", "../alerts/tests/*.yml"} {
		matches, err := filepath.Glob(pattern)
		require.NoError(t, err)
		files = append(files, matches...)
	}
	checked := 0
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, name := range otelcolName.FindAllString(string(b), -1) {
			if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
				continue // an upstream component's or the collector's own
			}
			checked++
			assert.Contains(t, names, name, "%s names %s, which no metadata.yaml defines", file, name)
		}
	}
	assert.Greater(t, checked, 20, "the docs name our telemetry in many places")
}
