// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/bench/loadgen"
)

// The load generator's ground truth is what the benchmark pipeline counts:
// realistic traffic over three sites, in batches and as beacons, through
// the receiver, the sessionizer and the webanalytics connector. A share of
// the visits are crawlers': people are counted exactly, crawlers not at all.
func TestE2ELoadgenGroundTruth(t *testing.T) {
	intake := "127.0.0.1:" + freePort(t)
	metrics := "127.0.0.1:" + freePort(t)
	launch(t, []string{filepath.Join("..", "..", "bench", "footfall-bench.yaml"), filepath.Join("testdata", "bench-exact.yaml")}, []string{
		"FOOTFALL_INTAKE_ENDPOINT=" + intake, "FOOTFALL_METRICS_ENDPOINT=" + metrics, "FOOTFALL_DATA_DIR=" + t.TempDir(),
	})
	traffic := loadgen.DefaultTraffic()
	var truth loadgen.GroundTruth
	for _, mode := range []loadgen.Mode{loadgen.Batch, loadgen.Beacon} {
		rep, err := loadgen.Run(t.Context(), loadgen.Config{
			URL: "http://" + intake + "/v1/logs", Mode: mode, Senders: 6, Duration: time.Minute, MaxVisits: 300,
			Traffic: traffic, Seed: 42,
		})
		require.NoError(t, err)
		t.Log(rep)
		require.Zero(t, rep.EventsLost)
		truth.Sessions += rep.Truth.Sessions
		truth.Bounces += rep.Truth.Bounces
		truth.PageViews += rep.Truth.PageViews
		truth.Signups += rep.Truth.Signups
		truth.BotEvents += rep.Truth.BotEvents
	}
	require.Positive(t, truth.BotEvents, "crawlers were sent too; the exact counts below are people's only")

	sum := assertGroundTruth(t, metrics, traffic.Sites, truth)
	// Unique visitors are a HyperLogLog estimate: within 2% at this size.
	// The 1h and today gauges are recomputed every hourly_refresh (10s), so
	// they may still show a count from the middle of the run.
	for _, window := range []string{"5m", "1h", "today"} {
		t.Logf("visitors %s: %v (truth %d)", window, sum("footfall_visitors", `window="`+window+`"`), truth.Sessions)
	}
	assert.InEpsilon(t, float64(truth.Sessions), sum("footfall_visitors", `window="5m"`), 0.02, "every visit is a new visitor")
}

// assertGroundTruth waits until every session of truth has ended on the
// metrics endpoint, then asserts that page views, sessions, bounces and
// signups summed over sites equal truth exactly. It returns the summing
// scraper for further checks.
func assertGroundTruth(t *testing.T, metrics string, sites []string, truth loadgen.GroundTruth) func(metric string, labels ...string) float64 {
	t.Helper()
	sum := func(metric string, labels ...string) float64 {
		total := 0.0
		for _, site := range sites {
			if v := scrapeSeries(t, metrics, metric, append([]string{`site="` + site + `"`}, labels...)...); v > 0 {
				total += v
			}
		}
		return total
	}
	want := map[string]float64{
		"footfall_page_views_total":       float64(truth.PageViews),
		"footfall_sessions_total":         float64(truth.Sessions),
		"footfall_bounces_total":          float64(truth.Bounces),
		"footfall_goal_conversions_total": float64(truth.Signups),
	}
	got := map[string]float64{}
	assert.Eventually(t, func() bool {
		for m := range want {
			got[m] = sum(m)
		}
		// Every session has ended (2s of inactivity) once all are counted.
		got["ended"] = sum("footfall_sessions_ended_total")
		return got["ended"] == float64(truth.Sessions) && got["footfall_bounces_total"] == want["footfall_bounces_total"]
	}, 30*time.Second, 200*time.Millisecond)
	for m, v := range want {
		assert.Equal(t, v, got[m], m)
	}
	return sum
}
