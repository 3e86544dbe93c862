// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package e2e runs the built footfall binary on config/default.yaml and talks
// to it over real HTTP, as a browser and as an operator would.
package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/footfall-analytics/footfall/internal/promtext"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/testhttp"
	"github.com/footfall-analytics/footfall/web/tracker"
)

const firefoxUA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

// sink is the OTLP/HTTP endpoint the collector exports to.
type sink struct {
	mu   sync.Mutex
	logs []plog.Logs
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.logs = append(s.logs, req.Logs())
	s.mu.Unlock()
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// records returns every captured record with its resource attributes, by event id.
func (s *sink) records() map[string]capturedRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]capturedRecord{}
	for _, ld := range s.logs {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					id, _ := lr.Attributes().Get(schema.AttrEventID)
					out[id.Str()] = capturedRecord{resource: rl.Resource().Attributes().AsRaw(), attrs: lr.Attributes().AsRaw(), name: lr.EventName()}
				}
			}
		}
	}
	return out
}

type capturedRecord struct {
	name     string
	resource map[string]any
	attrs    map[string]any
}

type collector struct {
	intake    string
	telemetry string
	// metrics is the web analytics endpoint (the prometheus exporter).
	metrics string
	// liveview is the live dashboard's address.
	liveview string
	// stop sends SIGTERM and waits for a clean exit; safe to call twice.
	stop func()
	// kill sends SIGKILL, as a crash or an OOM kill would; stop is then a no-op.
	kill func()
	// health is the health_check extension's address.
	health string
	// log is the file the process writes its output to.
	log string
}

// waitFor waits until the sink holds every given event id, and returns the records.
func (s *sink) waitFor(t *testing.T, ids ...string) map[string]capturedRecord {
	t.Helper()
	var got map[string]capturedRecord
	require.Eventually(t, func() bool {
		got = s.records()
		for _, id := range ids {
			if _, ok := got[id]; !ok {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "events %v did not reach the exporter", ids)
	return got
}

// handedOut are the ports freePort gave, never given twice: a collector's
// ports are chosen before it binds them.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort returns a port free now, below the kernel's ephemeral range. A
// port from that range (a listener on port 0) can be taken, between this
// check and the collector binding it, as the local port of any outgoing
// connection on the machine: CI failed on "bind: address already in use"
// while other packages' tests ran beside these.
func freePort(t testing.TB) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	lowest := ephemeralPortsFrom()
	for range 1000 {
		port := 10000 + rand.IntN(lowest-10000)
		if handedOut.ports[port] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		_ = l.Close()
		handedOut.ports[port] = true
		return fmt.Sprint(port)
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

// ephemeralPortsFrom is the first port the kernel hands to outgoing
// connections and port-0 listeners (32768 when it cannot be read).
func ephemeralPortsFrom() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	var low, high int
	if _, err := fmt.Sscan(string(data), &low, &high); err != nil || low <= 11000 {
		return 32768
	}
	return low
}

func footfallBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("FOOTFALL_BIN")
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("FOOTFALL_BIN is not set: run the end-to-end tests through `make test`")
		}
		t.Skip("FOOTFALL_BIN is not set: `make e2e` builds the distribution and runs these tests")
	}
	_, err := os.Stat(bin) // #nosec G703 -- the test is told which binary to run
	require.NoError(t, err, "FOOTFALL_BIN must point at the built collector")
	return bin
}

// startCollector runs footfall on config/default.yaml with testdata/capture.yaml
// merged over it, on free loopback ports and the given data directory, and
// waits until it reports healthy.
func startCollector(t *testing.T, capture *httptest.Server, dataDir string, env ...string) collector {
	t.Helper()
	return startCollectorWith(t, capture, dataDir, nil, env...)
}

// startCollectorWith is startCollector with more configs merged last.
func startCollectorWith(t *testing.T, capture *httptest.Server, dataDir string, overlays []string, env ...string) collector {
	t.Helper()
	c := collector{
		intake:    "127.0.0.1:" + freePort(t),
		telemetry: freePort(t),
		metrics:   "127.0.0.1:" + freePort(t),
		liveview:  "127.0.0.1:" + freePort(t),
	}
	env = append([]string{
		"FOOTFALL_INTAKE_ENDPOINT=" + c.intake,
		"FOOTFALL_TELEMETRY_PORT=" + c.telemetry,
		"FOOTFALL_METRICS_ENDPOINT=" + c.metrics,
		"FOOTFALL_LIVEVIEW_ENDPOINT=" + c.liveview,
		"FOOTFALL_DATA_DIR=" + dataDir,
		"FOOTFALL_E2E_CAPTURE_URL=" + capture.URL + "/v1/logs",
	}, env...)
	configs := append([]string{filepath.Join("..", "..", "config", "default.yaml"), filepath.Join("testdata", "capture.yaml")}, overlays...)
	p := launch(t, configs, env)
	c.stop, c.kill, c.log = p.stop, p.kill, p.log
	return c
}

// proc is a running footfall process.
type proc struct {
	// stop sends SIGTERM and waits for a clean exit; kill sends SIGKILL.
	// Either may be called more than once; the first one acts.
	stop, kill func()
	pid        int
	log        string
	// health is the health_check extension's address.
	health string
}

// launch runs footfall on the given configs (merged in order; a word
// that starts with -- is a flag) with env added, on a health endpoint of its own, and waits until it is healthy.
func launch(t testing.TB, configs, env []string) proc {
	t.Helper()
	bin := footfallBinary(t)
	health := "127.0.0.1:" + freePort(t)
	logPath := filepath.Join(t.TempDir(), "footfall.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	var args []string
	for _, c := range configs {
		if strings.HasPrefix(c, "--") {
			args = append(args, c) // a flag, as in config/sets.txt
		} else {
			args = append(args, "--config", c)
		}
	}
	cmd := exec.Command(bin, args...)
	// The configs name the country database relative to the repository.
	geo, err := filepath.Abs(filepath.Join("..", "..", "geo", "country.mmdb"))
	require.NoError(t, err)
	cmd.Env = append(append(os.Environ(), "FOOTFALL_HEALTH_ENDPOINT="+health, "FOOTFALL_GEOIP_DATABASE="+geo), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	showLog := func() {
		_ = logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("footfall (%v) output:\n%s", configs, out)
		}
	}
	p := proc{pid: cmd.Process.Pid, log: logPath, health: health}
	p.stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-exited:
				assert.NoError(t, err, "footfall exits cleanly on SIGTERM")
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				t.Error("footfall did not stop within 20s of SIGTERM")
			}
			showLog()
		})
	}
	p.kill = func() {
		once.Do(func() {
			_ = cmd.Process.Kill()
			err := <-exited
			assert.Error(t, err, "a killed process exits with a signal status")
			showLog()
		})
	}
	t.Cleanup(p.stop)

	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("footfall exited before it was ready: %v\n%s", err, out)
		default:
		}
		resp, err := http.Get("http://" + health + "/")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("footfall did not become healthy within 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c collector) post(t *testing.T, contentType string, body []byte, headers map[string]string) (testhttp.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, "http://"+c.intake+"/v1/logs", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", firefoxUA)
	req.Header.Set("Origin", "http://localhost:8080")
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp := testhttp.Do(t, req)
	return resp, resp.Body
}

func events(site string, ids ...string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, site)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("e2e")
	for i, id := range ids {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.SetTimestamp(pcommon.Timestamp(1795000000000000000 + uint64(i)*1e9))
		lr.Attributes().PutStr(schema.AttrEventID, id)
		lr.Attributes().PutStr(schema.AttrURLFull, fmt.Sprintf("http://localhost:8080/page/%d?utm_source=e2e", i))
		lr.Attributes().PutStr(schema.AttrReferrer, "https://duckduckgo.com/")
	}
	return ld
}

func jsonBody(t *testing.T, ld plog.Logs) []byte {
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalJSON()
	require.NoError(t, err)
	return b
}

func protoBody(t *testing.T, ld plog.Logs) []byte {
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	require.NoError(t, err)
	return b
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func statusMessage(t *testing.T, body []byte) string {
	st := &spb.Status{}
	require.NoError(t, protojson.Unmarshal(body, st), string(body))
	return st.GetMessage()
}

func TestE2EDefaultConfig(t *testing.T) {
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	c := startCollector(t, server, t.TempDir())

	t.Run("accepted in every encoding", func(t *testing.T) {
		tests := []struct {
			name        string
			contentType string
			body        []byte
			headers     map[string]string
			wantCT      string
		}{
			{"otlp json", "application/json", jsonBody(t, events("demo", "json-1", "json-2")), nil, "application/json"},
			{"otlp protobuf", "application/x-protobuf", protoBody(t, events("demo", "proto-1")), nil, "application/x-protobuf"},
			{"sendBeacon text/plain", "text/plain;charset=UTF-8", jsonBody(t, events("demo", "beacon-1")), nil, "application/json"},
			{"gzip json", "application/json", gzipped(t, jsonBody(t, events("demo", "gzip-1"))), map[string]string{"Content-Encoding": "gzip"}, "application/json"},
			{"server-side, no origin", "application/json", jsonBody(t, events("demo", "server-1")), map[string]string{"Origin": ""}, "application/json"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := c.post(t, tt.contentType, tt.body, tt.headers)
				require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
				assert.Equal(t, tt.wantCT, resp.Header.Get("Content-Type"))
			})
		}

		ids := []string{"json-1", "json-2", "proto-1", "beacon-1", "gzip-1", "server-1"}
		got := capture.waitFor(t, ids...)
		for _, id := range ids {
			rec := got[id]
			assert.Equal(t, schema.EventPageView, rec.name)
			assert.Len(t, rec.attrs[schema.AttrSessionID], 32, "every event leaves the sessionizer with a session id")
			assert.Contains(t, rec.attrs, schema.AttrSessionSeq)
			assert.Equal(t, "demo", rec.resource[schema.AttrSiteID])
			assert.Len(t, rec.resource[schema.AttrVisitorID], 16)
			assert.Equal(t, "Firefox", rec.attrs[schema.AttrUserAgentName])
			assert.Equal(t, "search", rec.attrs[schema.AttrReferrerClass])
			assert.Equal(t, "DuckDuckGo", rec.attrs[schema.AttrReferrerSource])
			assert.Equal(t, "e2e", rec.attrs[schema.AttrUTMSource])
			assert.Equal(t, "localhost", rec.attrs[schema.AttrURLDomain])
			for k, v := range rec.attrs {
				assert.NotContains(t, fmt.Sprint(v), "127.0.0.1", "attribute %s leaks the client address", k)
			}
		}
		assert.Equal(t, got["json-1"].resource[schema.AttrVisitorID], got["proto-1"].resource[schema.AttrVisitorID],
			"same browser, same day: same visitor")
	})

	t.Run("refusals say what is wrong", func(t *testing.T) {
		tests := []struct {
			name        string
			contentType string
			body        []byte
			headers     map[string]string
			wantStatus  int
			wantMessage string
		}{
			{"unknown site", "application/json", jsonBody(t, events("nosuchsite", "x-1")), nil, http.StatusForbidden, `site "nosuchsite" is not configured`},
			{"foreign origin", "application/json", jsonBody(t, events("demo", "x-2")), map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, `origin "https://evil.example" may not send events for site "demo"`},
			{"malformed", "application/json", []byte(`{"resourceLogs":`), nil, http.StatusBadRequest, "malformed JSON"},
			{"wrong content type", "application/xml", []byte(`<a/>`), nil, http.StatusUnsupportedMediaType, "unsupported media type"},
			{"too large", "application/json", bytes.Repeat([]byte(" "), 2<<20), nil, http.StatusRequestEntityTooLarge, "exceeds max_request_body_size"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := c.post(t, tt.contentType, tt.body, tt.headers)
				require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
				assert.Contains(t, statusMessage(t, body), tt.wantMessage)
			})
		}
		_, refusedEventLeaked := capture.records()["x-1"]
		assert.False(t, refusedEventLeaked)

		resp, err := http.Get("http://" + c.intake + "/footfall.js")
		require.NoError(t, err)
		script, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.True(t, resp.Uncompressed, "served gzipped to a client that accepts gzip")
		assert.Equal(t, tracker.Script, script, "the collector serves the tracker built into it")
	})

	t.Run("rate limit answers 429 with Retry-After", func(t *testing.T) {
		var last testhttp.Response
		for i := range 7 {
			ids := make([]string, 100)
			for j := range ids {
				ids[j] = fmt.Sprintf("burst-%d-%d", i, j)
			}
			last, _ = c.post(t, "application/json", jsonBody(t, events("demo", ids...)), nil)
			if last.StatusCode != http.StatusOK {
				break
			}
		}
		require.Equal(t, http.StatusTooManyRequests, last.StatusCode, "the default burst of 600 events per client is spent")
		assert.NotEmpty(t, last.Header.Get("Retry-After"))
	})

	t.Run("self-telemetry counts refusals by reason", func(t *testing.T) {
		resp, err := http.Get("http://127.0.0.1:" + c.telemetry + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		metrics := string(body)
		for _, want := range []string{
			`otelcol_receiver_browserevents_refused_requests{reason="unknown_site"`,
			`otelcol_receiver_browserevents_refused_requests{reason="origin_not_allowed"`,
			`otelcol_receiver_browserevents_refused_requests{reason="malformed"`,
			`otelcol_receiver_browserevents_refused_requests{reason="unsupported_media_type"`,
			`otelcol_receiver_browserevents_refused_requests{reason="too_large"`,
			// A request refused before its body is read (its first token)
			// has no events counted: only the request counter is certain.
			`otelcol_receiver_browserevents_refused_requests{reason="rate_limited"`,
			`otelcol_receiver_accepted_log_records{receiver="browserevents",transport="http"}`,
			`otelcol_processor_sessionize_sessions_started`,
			`otelcol_processor_sessionize_sessions_live`,
		} {
			assert.True(t, strings.Contains(metrics, want), "metrics endpoint lacks %s", want)
		}
	})
}

func TestE2EVisitorIDsSurviveRestart(t *testing.T) {
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	dataDir := t.TempDir()

	first := startCollector(t, server, dataDir)
	resp, body := first.post(t, "application/json", jsonBody(t, events("demo", "before-restart")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	first.stop()

	info, err := os.Stat(filepath.Join(dataDir, "visitor-salt.json"))
	require.NoError(t, err, "the salt is kept in FOOTFALL_DATA_DIR")
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	second := startCollector(t, server, dataDir)
	resp, body = second.post(t, "application/json", jsonBody(t, events("demo", "after-restart")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	got := capture.waitFor(t, "before-restart", "after-restart")
	assert.Equal(t, got["before-restart"].resource[schema.AttrVisitorID], got["after-restart"].resource[schema.AttrVisitorID],
		"the same browser keeps its visitor id across a collector restart on the same day")
}

// A 2xx means the event is on disk: a collector killed while the event waits
// in the sessionizer's reorder buffer delivers it after the restart.
func TestE2EAcceptedEventsSurviveAKill(t *testing.T) {
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	dataDir := t.TempDir()

	// A long lateness keeps the event held in the first collector.
	first := startCollector(t, server, dataDir, "FOOTFALL_E2E_LATENESS=10m")
	resp, body := first.post(t, "application/json", jsonBody(t, events("demo", "held-1", "held-2")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	first.kill()
	assert.NotContains(t, capture.records(), "held-1", "the event was still held when the collector died")

	second := startCollector(t, server, dataDir)
	got := capture.waitFor(t, "held-1", "held-2")
	assert.Equal(t, got["held-1"].attrs[schema.AttrSessionID], got["held-2"].attrs[schema.AttrSessionID], "one visit, one session")
	var starts int
	for _, rec := range got {
		if rec.name == schema.EventSessionStart {
			starts++
		}
	}
	assert.Equal(t, 1, starts, "exactly one session.start")
	second.stop()
}

// An operator's restart: 5 page views, a graceful restart (SIGTERM), 2 more
// page views: the metrics endpoint says 7, every series continuing where it
// was, as the dashboards' range panels need.
func TestE2ECountersSurviveAGracefulRestart(t *testing.T) {
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	dataDir := t.TempDir()

	first := startCollector(t, server, dataDir)
	resp, body := first.post(t, "application/json", jsonBody(t, events("demo", "pv-1", "pv-2", "pv-3", "pv-4", "pv-5")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	waitForPageViews(t, first.metrics, 5)
	first.stop()

	second := startCollector(t, server, dataDir)
	resp, body = second.post(t, "application/json", jsonBody(t, events("demo", "pv-6", "pv-7")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	waitForPageViews(t, second.metrics, 7)
	// Nothing is counted twice: the total stays at 7.
	time.Sleep(3 * time.Second)
	v, _, err := promtext.Value(second.metrics, "footfall_page_views_total", `site="demo"`)
	require.NoError(t, err)
	assert.InDelta(t, 7, v, 0)
	second.stop()
}

// waitForPageViews waits until the metrics endpoint counts want page views
// of the demo site, and fails if it counts more.
func waitForPageViews(t *testing.T, endpoint string, want float64) {
	t.Helper()
	var got float64
	require.Eventually(t, func() bool {
		v, _, err := promtext.Value(endpoint, "footfall_page_views_total", `site="demo"`)
		got = v
		return err == nil && v >= want
	}, 30*time.Second, 100*time.Millisecond, "page views on the metrics endpoint: %v", got)
	assert.InDelta(t, want, got, 0)
}

// The same after a kill -9: the connector's counters come back with the
// sessionizer's checkpoint, and what the sessionizer replays from its
// write-ahead log is counted once. 5 page views (a checkpoint after 3 of
// them), SIGKILL, 2 more: the metrics endpoint says 7.
func TestE2ECountersSurviveAKill(t *testing.T) {
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	dataDir := t.TempDir()

	first := startCollector(t, server, dataDir, "FOOTFALL_E2E_CHECKPOINT_INTERVAL=1s")
	resp, body := first.post(t, "application/json", jsonBody(t, events("demo", "pv-1", "pv-2", "pv-3")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	waitForPageViews(t, first.metrics, 3)
	// A checkpoint (every second here) now holds the three.
	time.Sleep(2500 * time.Millisecond)
	resp, body = first.post(t, "application/json", jsonBody(t, events("demo", "pv-4", "pv-5")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	waitForPageViews(t, first.metrics, 5)
	first.kill()

	second := startCollector(t, server, dataDir)
	resp, body = second.post(t, "application/json", jsonBody(t, events("demo", "pv-6", "pv-7")), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	waitForPageViews(t, second.metrics, 7)
	time.Sleep(3 * time.Second)
	v, _, err := promtext.Value(second.metrics, "footfall_page_views_total", `site="demo"`)
	require.NoError(t, err)
	assert.InDelta(t, 7, v, 0, "nothing counted twice")
	second.stop()
}
