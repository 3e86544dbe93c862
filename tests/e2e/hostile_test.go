// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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
	// path is /v1/logs unless set; contentType application/json unless
	// set; gzip compresses the body, as attackers do to send little.
	path, contentType string
	gzip              bool
}

// maxAnswerBytes bounds every answer of the intake (the receiver's own bound).
const maxAnswerBytes = 1024

// longKey is a 600 KB attribute key: under 1 KB gzip'd.
var longKey = strings.Repeat("k", 600_000)

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
	return append(attacks, roundTwo(now)...)
}

// roundTwo are the attacks of the second hostile-input review: refusals
// that echoed what they refused, keys without a size bound, items decoded
// before they were counted. Each gets a small answer and stores nothing
// on another site.
func roundTwo(now time.Time) []attack {
	long := strings.Repeat("<", 900_000)
	faroBomb := `{"meta":{"app":{"name":"bench-a"},"page":{"url":"https://bench-a.example/"},"session":{"id":"s"}},"events":[` +
		strings.TrimSuffix(strings.Repeat(`{"name":"e"},`, 80_000), ",") + `]}`
	return []attack{
		{
			name: "plausible domain of 900 KB", origin: "https://bench-a.example", path: "/api/event", contentType: "text/plain", gzip: true,
			body: fmt.Sprintf(`{"n":"pageview","u":"https://bench-a.example/","d":%q}`, long), status: http.StatusRequestEntityTooLarge,
		},
		{
			name: "plausible domain of 20 KB", origin: "https://bench-a.example", path: "/api/event", contentType: "text/plain", gzip: true,
			body: fmt.Sprintf(`{"n":"pageview","u":"https://bench-a.example/","d":%q}`, long[:20_000]), status: http.StatusForbidden,
		},
		{
			name: "faro app name of 900 KB", origin: "https://bench-a.example", path: "/collect", gzip: true,
			body: fmt.Sprintf(`{"meta":{"app":{"name":%q},"page":{"url":"https://bench-a.example/"},"session":{"id":"s"}}}`, long), status: http.StatusForbidden,
		},
		{
			name: "site parameter of 20 KB", origin: "https://bench-a.example", path: "/v1/logs?site=" + strings.Repeat("x", 20_000),
			body:   `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://bench-a.example/"}}]}]}]}]}`,
			status: http.StatusForbidden,
		},
		{
			name: "OTLP key of 600 KB", origin: "https://bench-a.example", gzip: true,
			body: record("bench-a", "browser.page_view", now, strAttr(longKey, "v")), status: http.StatusBadRequest,
		},
		{
			name: "faro attribute key of 600 KB", origin: "https://attacker.example", path: "/collect", gzip: true,
			body:   `{"meta":{"app":{"name":"attacker"},"page":{"url":"https://attacker.example/"},"session":{"id":"s"}},"events":[{"name":"x","attributes":{"` + longKey + `":"v"}}]}`,
			status: http.StatusAccepted,
		},
		{name: "faro with 80,000 tiny events", origin: "https://bench-a.example", path: "/collect", gzip: true, body: faroBomb, status: http.StatusRequestEntityTooLarge},
		{
			name: "OTLP with 300,000 empty records under Faro's scope", origin: "https://bench-a.example", gzip: true, status: http.StatusRequestEntityTooLarge,
			body: `{"resourceLogs":[{"scopeLogs":[{"scope":{"name":"@grafana/faro-web-sdk"},"logRecords":[` + strings.TrimSuffix(strings.Repeat(`{},`, 300_000), ",") + `]}]}]}`,
		},
	}
}

// send posts a, and returns its answer's status and body.
func (a attack) send(t *testing.T, intake string) (int, []byte) {
	t.Helper()
	body := []byte(a.body)
	if a.gzip {
		body = gzipped(t, body)
	}
	path := cmp.Or(a.path, "/v1/logs")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+intake+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", cmp.Or(a.contentType, "application/json"))
	if a.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("User-Agent", firefoxUA)
	req.Header.Set("Origin", a.origin)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, answer
}

// cpuTime is the CPU a process has used, user and system, from /proc.
func cpuTime(t *testing.T, pid int) time.Duration {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+2:]))
	utime, err := strconv.ParseInt(fields[11], 10, 64)
	require.NoError(t, err)
	stime, err := strconv.ParseInt(fields[12], 10, 64)
	require.NoError(t, err)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// The hostile-input attacks against the built collector on
// config/default.yaml, while the load generator sends realistic traffic to
// three other sites: every attack gets its answer, and afterwards the
// three sites' numbers equal the load generator's ground truth.
func TestE2EHostileClientsLeaveTheGroundTruthExact(t *testing.T) {
	intake := "127.0.0.1:" + freePort(t)
	metrics := "127.0.0.1:" + freePort(t)
	dataDir := t.TempDir()
	collector := launch(t, []string{filepath.Join("..", "..", "config", "default.yaml"), filepath.Join("testdata", "hostile.yaml")}, []string{
		"FOOTFALL_INTAKE_ENDPOINT=" + intake, "FOOTFALL_METRICS_ENDPOINT=" + metrics, "FOOTFALL_DATA_DIR=" + dataDir,
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
			URL: "http://" + intake + "/v1/logs", Mode: loadgen.Batch, Senders: 4, Duration: time.Minute, MaxVisits: 700,
			// Paced so that the load lasts the whole attack: about 8 s,
			// where the attacks take 2 s, and 3.7 s on a slow CI machine
			// (300 visits, 3.4 s, once ended first).
			Rate: 600, Traffic: traffic, Seed: 7,
		})
		done <- result{rep, err, time.Now()}
	}()

	// The attacks go while the load runs, three times over.
	attackStart := time.Now()
	for round := range 3 {
		for _, a := range hostileRequests() {
			status, body := a.send(t, intake)
			assert.Equal(t, a.status, status, "round %d, %s: %.300s", round, a.name, body)
			assert.LessOrEqual(t, len(body), maxAnswerBytes, "round %d, %s: the answer is bounded", round, a.name)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// A refusal costs little CPU: 20 requests of each bomb (80,000 gzip'd
	// Faro items; 300,000 empty OTLP records), refused for their count
	// before they are decoded whole, measured on the collector's own clock
	// while the load goes on.
	for _, bomb := range roundTwo(time.Now())[6:] {
		before := cpuTime(t, collector.pid)
		for range 20 {
			status, _ := bomb.send(t, intake)
			require.Equal(t, http.StatusRequestEntityTooLarge, status)
		}
		perRequest := (cpuTime(t, collector.pid) - before) / 20
		t.Logf("%s: CPU per refusal, load included: %v", bomb.name, perRequest)
		assert.Less(t, perRequest, 20*time.Millisecond, "%s: decoding and mapping took 70-100 ms before", bomb.name)
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

	// The byte budget holds on what reached the write-ahead log: no key of
	// the attacks was written.
	segments, err := filepath.Glob(filepath.Join(dataDir, "wal", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, segments)
	for _, segment := range segments {
		data, err := os.ReadFile(segment)
		require.NoError(t, err)
		assert.False(t, bytes.Contains(data, []byte(longKey[:1024])), "%s holds an attack's key", segment)
	}
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
