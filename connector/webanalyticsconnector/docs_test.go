// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prometheusName is the name the prometheus exporter gives def (as
// docs/metrics.md says): dots as underscores, the unit's suffix (none for a
// {annotation}), and _total for counters.
func prometheusName(def *metricDef) string {
	name := strings.ReplaceAll(def.name, ".", "_")
	if def.unit == "s" {
		name += "_seconds"
	}
	if def.kind == counter {
		name += "_total"
	}
	return name
}

// exportedNames are every series name def gives in Prometheus.
func exportedNames(def *metricDef) []string {
	name := prometheusName(def)
	if def.kind == histogram {
		return []string{name, name + "_bucket", name + "_sum", name + "_count"}
	}
	return []string{name}
}

// footfallNamesIn finds the footfall_ names a document mentions.
var footfallName = regexp.MustCompile(`\bfootfall_[a-z0-9_]*[a-z0-9]_?\b`)

// notMetrics are footfall_ words in the docs that name no metric.
var notMetrics = []string{"footfall_ignore"} // footfall.js's localStorage opt-out key

// TestDocsNameEveryMetricAsExported keeps docs/metrics.md, the READMEs, the
// dashboards and the alert rules true to the definitions: every footfall_
// name they use is one this connector exports (a name ending in _ is a
// prefix of some), and docs/metrics.md names every metric it exports.
func TestDocsNameEveryMetricAsExported(t *testing.T) {
	var known []string
	for _, def := range allMetrics {
		known = append(known, exportedNames(def)...)
	}
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{"README.md", "docs/*.md", "*/*/README.md", "dashboards/*.json", "alerts/*.yml", "alerts/tests/*.yml", "config/*.yaml"} {
		matches, err := filepath.Glob(filepath.Join(root, pattern))
		require.NoError(t, err)
		files = append(files, matches...)
	}
	require.Greater(t, len(files), 15)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, name := range slices.Compact(slices.Sorted(slices.Values(footfallName.FindAllString(string(b), -1)))) {
			if slices.Contains(notMetrics, name) || strings.HasPrefix(name, "footfall_0") {
				continue
			}
			found := slices.Contains(known, name)
			if strings.HasSuffix(name, "_") {
				found = slices.ContainsFunc(known, func(k string) bool { return strings.HasPrefix(k, name) })
			}
			assert.True(t, found, "%s names %s, which the connector does not export", file, name)
		}
	}
	metricsDoc, err := os.ReadFile(filepath.Join(root, "docs", "metrics.md"))
	require.NoError(t, err)
	for _, def := range allMetrics {
		assert.True(t, strings.Contains(string(metricsDoc), "`"+prometheusName(def)+"`"), "docs/metrics.md does not define %s (%s)", prometheusName(def), def.name)
	}
}
