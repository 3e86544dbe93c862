// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package dashboards holds the Grafana dashboards; this test checks that
// every panel query is valid PromQL. The end-to-end test runs them against a
// real Prometheus.
package dashboards

import (
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/grafana"
)

var promql = parser.NewParser(parser.Options{})

func TestEveryPanelQueryIsValidPromQL(t *testing.T) {
	dashboards, err := grafana.Load(".")
	require.NoError(t, err)
	require.Len(t, dashboards, 3)
	for _, d := range dashboards {
		ids := map[int]bool{}
		for _, p := range d.Panels {
			assert.False(t, ids[p.ID], "%s: panel id %d used twice", d.Title, p.ID)
			ids[p.ID] = true
			require.NotEmpty(t, p.Targets, "%s: panel %q has no query", d.Title, p.Title)
			for _, target := range p.Targets {
				if !target.Prometheus() {
					assert.NotEmpty(t, target.Query, "%s / %s: an Elasticsearch target needs a query", d.Title, p.Title)
					assert.Contains(t, []string{"footfall-es", "footfall-es-sessions"}, target.Datasource.UID, "%s / %s: a provisioned datasource", d.Title, p.Title)
					continue
				}
				query := grafana.Expand(target.Expr, "shop")
				_, err := promql.ParseExpr(query)
				assert.NoError(t, err, "%s / %s: %s", d.Title, p.Title, query)
			}
		}
	}
}
