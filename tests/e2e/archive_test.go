// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/bench/loadgen"
)

const duckdbDir = "duckdb"

// requireDuckDB checks what ./scripts/ensure-node-modules.sh tests/e2e/duckdb
// installs; under CI a missing piece fails the run.
func requireDuckDB(t *testing.T) {
	t.Helper()
	_, errModules := os.Stat(filepath.Join(duckdbDir, "node_modules", "@duckdb", "node-api"))
	_, errNode := exec.LookPath("node")
	if errModules == nil && errNode == nil {
		return
	}
	msg := "missing @duckdb/node-api or node: run ./scripts/ensure-node-modules.sh tests/e2e/duckdb (make e2e does)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// archiveCounts is what duckdb/query.mjs prints: the queries of
// docs/archive.md, per site.
type archiveCounts struct {
	Sites map[string]struct {
		PageViews int `json:"page_views"`
		Sessions  int `json:"sessions"`
		Bounces   int `json:"bounces"`
		Signups   int `json:"signups"`
	} `json:"sites"`
	Files int `json:"files"`
}

func queryArchive(t *testing.T, dir string) archiveCounts {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "query.mjs", dir) // #nosec G204 -- the test's own script and directory
	cmd.Dir = duckdbDir
	out, err := cmd.Output()
	require.NoError(t, err, "query.mjs: %s", out)
	var counts archiveCounts
	require.NoError(t, json.Unmarshal(out, &counts), "%s", out)
	return counts
}

// The archive written by the pipeline from ground-truth traffic, read by
// DuckDB with the documented queries: page views, sessions, bounces and
// signups per site equal the metrics per site, and their sums the ground
// truth.
func TestE2EArchiveReadByDuckDB(t *testing.T) {
	requireDuckDB(t)
	intake := "127.0.0.1:" + freePort(t)
	metrics := "127.0.0.1:" + freePort(t)
	data := t.TempDir()
	p := launch(t, []string{filepath.Join("..", "..", "bench", "footfall-bench.yaml"), filepath.Join("testdata", "bench-exact.yaml"), filepath.Join("testdata", "archive.yaml")}, []string{
		"FOOTFALL_INTAKE_ENDPOINT=" + intake, "FOOTFALL_METRICS_ENDPOINT=" + metrics, "FOOTFALL_DATA_DIR=" + data,
	})
	traffic := loadgen.DefaultTraffic()
	rep, err := loadgen.Run(t.Context(), loadgen.Config{
		URL: "http://" + intake + "/v1/logs", Mode: loadgen.Batch, Senders: 4, Duration: 20 * time.Second, MaxVisits: 200,
		Traffic: traffic, Seed: 7,
	})
	require.NoError(t, err)
	require.Zero(t, rep.EventsLost)
	truth := rep.Truth
	assertGroundTruth(t, metrics, traffic.Sites, truth)
	perSite := map[string]map[string]float64{}
	for _, site := range traffic.Sites {
		perSite[site] = map[string]float64{}
		for _, m := range []string{"footfall_page_views_total", "footfall_sessions_ended_total", "footfall_bounces_total", "footfall_goal_conversions_total"} {
			perSite[site][m] = max(0, scrapeSeries(t, metrics, m, fmt.Sprintf("site=%q", site)))
		}
	}
	// Every session has ended and been counted; the last batch is written
	// at the latest on shutdown.
	p.stop()

	counts := queryArchive(t, filepath.Join(data, "archive"))
	t.Logf("archive: %d files, %+v", counts.Files, counts.Sites)
	var pageViews, sessions, bounces, signups int
	for _, site := range traffic.Sites {
		got := counts.Sites[site]
		want := perSite[site]
		assert.EqualValues(t, want["footfall_page_views_total"], got.PageViews, "page views of %s", site)
		assert.EqualValues(t, want["footfall_sessions_ended_total"], got.Sessions, "sessions of %s", site)
		assert.EqualValues(t, want["footfall_bounces_total"], got.Bounces, "bounces of %s", site)
		assert.EqualValues(t, want["footfall_goal_conversions_total"], got.Signups, "signups of %s", site)
		pageViews, sessions, bounces, signups = pageViews+got.PageViews, sessions+got.Sessions, bounces+got.Bounces, signups+got.Signups
	}
	assert.Equal(t, truth.PageViews, pageViews)
	assert.Equal(t, truth.Sessions, sessions)
	assert.Equal(t, truth.Bounces, bounces)
	assert.Equal(t, truth.Signups, signups)
	assert.Positive(t, counts.Files)

	var stray []string
	require.NoError(t, filepath.Walk(filepath.Join(data, "archive"), func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(filepath.Base(path), ".tmp-") {
			stray = append(stray, path)
		}
		return err
	}))
	assert.Empty(t, stray, "no temporary file is left")
}
