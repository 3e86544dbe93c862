// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/bench/loadgen"
)

// attack is one request a hostile client sends to the public intake.
type attack struct {
	name   string
	origin string
	body   string
	// status is the answer the attack must get.
	status int
}

// record is one OTLP/JSON log record of site with the given event name,
// time and extra attributes (JSON key-value objects).
func record(site, name string, at time.Time, attrs ...string) string {
	all := append([]string{
		fmt.Sprintf(`{"key":"url.full","value":{"stringValue":"https://%s.example/"}}`, site),
		fmt.Sprintf(`{"key":"log.record.uid","value":{"stringValue":"hostile-%d"}}`, time.Now().UnixNano()),
	}, attrs...)
	return fmt.Sprintf(`{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":%q}}]},`+
		`"scopeLogs":[{"scope":{"name":"footfall.js"},"logRecords":[{"eventName":%q,"timeUnixNano":"%d","attributes":[%s]}]}]}]}`,
		site, name, at.UnixNano(), strings.Join(all, ","))
}

func strAttr(key, value string) string {
	return fmt.Sprintf(`{"key":%q,"value":{"stringValue":%q}}`, key, value)
}

// hostileRequests are the attacks of the hostile-input review. Those the
// receiver refuses name a load site: they must change nothing. Those it
// accepts, defused, go to the attacker's own site: they must not reach
// any other site's numbers.
func hostileRequests() []attack {
	now := time.Now()
	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	refused := func(name, body string) attack {
		return attack{name: name, origin: "https://bench-a.example", body: body, status: http.StatusBadRequest}
	}
	accepted := func(name, body string) attack {
		return attack{name: name, origin: "https://attacker.example", body: body, status: http.StatusOK}
	}
	attacks := []attack{
		refused("client session.end from 2100 with a NaN duration", record("bench-a", "session.end", far,
			strAttr("footfall.session.duration_ms", "NaN"), strAttr("footfall.session.end_reason", "pwned"))),
		refused("client session.start", record("bench-a", "session.start", now)),
		refused("sessionizer's scope", strings.Replace(record("bench-a", "browser.page_view", now), `"name":"footfall.js"`,
			`"name":"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"`, 1)),
		refused("goal value NaN", record("bench-a", "signup", now, strAttr("footfall.goal.value", "NaN"))),
		refused("goal value negative", record("bench-a", "signup", now, strAttr("footfall.goal.value", "-1e9"))),
		refused("web vital infinite", record("bench-a", "browser.web_vital", now, strAttr("footfall.web_vital.name", "LCP"), strAttr("footfall.web_vital.value", "Inf"))),
		accepted("page view 4m50s in the future", record("attacker", "browser.page_view", now.Add(4*time.Minute+50*time.Second))),
		accepted("page view from 2100", record("attacker", "browser.page_view", far)),
		accepted("a made-up currency", record("attacker", "signup", now, strAttr("footfall.goal.value", "5"), strAttr("footfall.goal.currency", "ZZZ"))),
	}
	for i := range 50 {
		attacks = append(attacks, accepted(fmt.Sprint("event name flood ", i), record("attacker", fmt.Sprint("flood-", i), now)))
	}
	return attacks
}

// The hostile-input attacks against the built collector on
// config/default.yaml, while the load generator sends realistic traffic to
// three other sites: every attack gets its answer, and afterwards the
// three sites' numbers equal the load generator's ground truth.
func TestE2EHostileClientsLeaveTheGroundTruthExact(t *testing.T) {
	intake := "127.0.0.1:" + freePort(t)
	metrics := "127.0.0.1:" + freePort(t)
	launch(t, []string{filepath.Join("..", "..", "config", "default.yaml"), filepath.Join("testdata", "hostile.yaml")}, []string{
		"FOOTFALL_INTAKE_ENDPOINT=" + intake, "FOOTFALL_METRICS_ENDPOINT=" + metrics, "FOOTFALL_DATA_DIR=" + t.TempDir(),
		"FOOTFALL_LIVEVIEW_ENDPOINT=127.0.0.1:" + freePort(t), "FOOTFALL_TELEMETRY_PORT=" + freePort(t),
		"FOOTFALL_DEBUG_VERBOSITY=basic",
	})
	traffic := loadgen.DefaultTraffic()
	type result struct {
		rep      loadgen.Report
		err      error
		finished time.Time
	}
	done := make(chan result, 1)
	go func() {
		rep, err := loadgen.Run(t.Context(), loadgen.Config{
			URL: "http://" + intake + "/v1/logs", Mode: loadgen.Batch, Senders: 4, Duration: time.Minute, MaxVisits: 300,
			// Paced so that the load lasts the whole attack (about 2 s).
			Rate: 600, Traffic: traffic, Seed: 7,
		})
		done <- result{rep, err, time.Now()}
	}()

	// The attacks go while the load runs, three times over.
	attackStart := time.Now()
	for round := range 3 {
		for _, a := range hostileRequests() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+intake+"/v1/logs", bytes.NewReader([]byte(a.body)))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", firefoxUA)
			req.Header.Set("Origin", a.origin)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, a.status, resp.StatusCode, "round %d, %s: %s", round, a.name, body)
		}
		time.Sleep(300 * time.Millisecond)
	}

	attackEnd := time.Now()
	res := <-done
	require.NoError(t, res.err)
	t.Log(res.rep)
	require.True(t, res.finished.After(attackEnd), "the load ran until after the last attack (%s of attacks)", attackEnd.Sub(attackStart))
	require.Zero(t, res.rep.EventsLost)
	truth := res.rep.Truth

	sum := assertGroundTruth(t, metrics, traffic.Sites, truth)
	assert.InEpsilon(t, float64(truth.Sessions), sum("footfall_visitors", `window="5m"`), 0.02,
		"the attacker's future timestamps did not empty the other sites' windows")

	// Nothing anywhere is NaN or infinite, and no forged reason has a series.
	page := scrapeText(t, metrics)
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		assert.NotRegexp(t, `\s(NaN|[+-]Inf)$`, line)
	}
	assert.NotContains(t, page, "pwned")
	assert.NotContains(t, page, `currency="ZZZ"`)
}

func scrapeText(t *testing.T, endpoint string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://"+endpoint+"/metrics", http.NoBody)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}
