// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/testhttp"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadatatest"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the expected golden files from the current output")

const (
	chromeUA    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	googlebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	siteOrigin  = "https://www.example.com"
	appOrigin   = "https://app.example.com"
	// clientIP is behind the trusted proxy 127.0.0.1 and located by the test GeoIP database.
	clientIP = "198.51.100.7"
)

var receivedAt = time.Date(2026, 11, 18, 9, 30, 0, 0, time.UTC)

type harness struct {
	rcv  *browserEventsReceiver
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
	url  string
	now  time.Time
}

func testConfig(t testing.TB) *Config {
	t.Helper()
	geoDB := filepath.Join(t.TempDir(), "city.mmdb")
	require.NoError(t, geoip.WriteTestDatabase(geoDB, []geoip.TestNetwork{
		{CIDR: "198.51.100.0/24", Location: geoip.Location{CountryISO: "DE", RegionISO: "BE", City: "Berlin"}},
	}))
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.Sites = []SiteConfig{
		{ID: "example", Origins: []string{siteOrigin}},
		{ID: "app", Origins: []string{appOrigin}, VisitorID: VisitorIDClient},
		{ID: "server", AllowMissingOrigin: true},
	}
	cfg.TrustedProxies = []string{"127.0.0.1"}
	cfg.Visitor.SaltSecret = "a-test-secret-of-at-least-32-bytes!"
	cfg.GeoIP.Database = geoDB
	return cfg
}

// startReceiver runs the receiver on a loopback port with a fixed clock and
// fixed generated event ids, so that its output can be compared with golden files.
func startReceiver(t *testing.T, cfg *Config, next consumer.Logs) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	h := &harness{tel: componenttest.NewTelemetry(), now: receivedAt}
	t.Cleanup(func() { require.NoError(t, h.tel.Shutdown(context.Background())) })
	if next == nil {
		h.sink = new(consumertest.LogsSink)
		next = h.sink
	}
	rcv, err := newReceiver(cfg, metadatatest.NewSettings(h.tel), next)
	require.NoError(t, err)
	rcv.now = func() time.Time { return h.now }
	var ids atomic.Int64
	rcv.newID = func() string { return fmt.Sprintf("generated-%d", ids.Add(1)) }
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	h.rcv = rcv
	h.url = "http://" + rcv.boundAddr.String()
	return h
}

type request struct {
	method      string
	path        string
	contentType string
	origin      string
	userAgent   string
	body        []byte
	gzip        bool
	headers     map[string]string
}

func (h *harness) do(t *testing.T, r request) (testhttp.Response, []byte) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.path == "" {
		r.path = logsPath
	}
	body := r.body
	if r.gzip {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write(body)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		body = buf.Bytes()
	}
	req, err := http.NewRequest(r.method, h.url+r.path, bytes.NewReader(body))
	require.NoError(t, err)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if r.origin != "" {
		req.Header.Set("Origin", r.origin)
	}
	req.Header.Set("User-Agent", r.userAgent)
	req.Header.Set("X-Forwarded-For", clientIP)
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	resp := testhttp.Do(t, req)
	return resp, resp.Body
}

func readRequest(t *testing.T, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "golden", name, "request.json"))
	require.NoError(t, err)
	return body
}

func TestGoldenOutput(t *testing.T) {
	tests := []struct {
		name         string
		origin       string
		wantRejected int64
		wantMessage  string
	}{
		{name: "tracker_batch", origin: siteOrigin},
		{name: "otel_sdk", origin: siteOrigin},
		{name: "partial", origin: siteOrigin, wantRejected: 3, wantMessage: `log record 1: event name is missing`},
		{name: "client_visitor_id", origin: appOrigin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startReceiver(t, testConfig(t), nil)
			resp, body := h.do(t, request{contentType: "application/json", origin: tt.origin, userAgent: chromeUA, body: readRequest(t, tt.name)})
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

			exportResp := plogotlp.NewExportResponse()
			require.NoError(t, exportResp.UnmarshalJSON(body))
			assert.Equal(t, tt.wantRejected, exportResp.PartialSuccess().RejectedLogRecords())
			assert.Contains(t, exportResp.PartialSuccess().ErrorMessage(), tt.wantMessage)

			require.Len(t, h.sink.AllLogs(), 1)
			got := h.sink.AllLogs()[0]
			expectedPath := filepath.Join("testdata", "golden", tt.name, "expected.yaml")
			if *updateGolden {
				require.NoError(t, golden.WriteLogs(t, expectedPath, got))
			}
			want, err := golden.ReadLogs(expectedPath)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, got))
		})
	}
}

func TestPartialRejectionMessages(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	_, body := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: readRequest(t, "partial")})
	exportResp := plogotlp.NewExportResponse()
	require.NoError(t, exportResp.UnmarshalJSON(body))
	msg := exportResp.PartialSuccess().ErrorMessage()
	assert.Contains(t, msg, "log record 1: event name is missing")
	assert.Contains(t, msg, "log record 2: browser.page_view needs attribute url.full")
	assert.Contains(t, msg, `log record 3: site "nosuchsite" is not configured`)

	metadatatest.AssertEqualReceiverBrowsereventsRefusedEvents(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("reason", "invalid_event")), Value: 2},
		{Attributes: attribute.NewSet(attribute.String("reason", "unknown_site")), Value: 1},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestEveryEncodingGivesTheSameEvents(t *testing.T) {
	jsonBody := readRequest(t, "tracker_batch")
	req := plogotlp.NewExportRequest()
	require.NoError(t, req.UnmarshalJSON(jsonBody))
	protoBody, err := req.MarshalProto()
	require.NoError(t, err)

	tests := []struct {
		name            string
		contentType     string
		body            []byte
		gzip            bool
		wantContentType string
	}{
		{name: "json", contentType: "application/json", body: jsonBody, wantContentType: "application/json"},
		{name: "json with charset", contentType: "application/json; charset=utf-8", body: jsonBody, wantContentType: "application/json"},
		{name: "sendBeacon text/plain", contentType: "text/plain;charset=UTF-8", body: jsonBody, wantContentType: "application/json"},
		{name: "protobuf", contentType: "application/x-protobuf", body: protoBody, wantContentType: "application/x-protobuf"},
		{name: "gzip json", contentType: "application/json", body: jsonBody, gzip: true, wantContentType: "application/json"},
		{name: "gzip protobuf", contentType: "application/x-protobuf", body: protoBody, gzip: true, wantContentType: "application/x-protobuf"},
	}
	want, err := golden.ReadLogs(filepath.Join("testdata", "golden", "tracker_batch", "expected.yaml"))
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startReceiver(t, testConfig(t), nil)
			resp, body := h.do(t, request{contentType: tt.contentType, origin: siteOrigin, userAgent: chromeUA, body: tt.body, gzip: tt.gzip})
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Equal(t, tt.wantContentType, resp.Header.Get("Content-Type"))
			require.Len(t, h.sink.AllLogs(), 1)
			require.NoError(t, plogtest.CompareLogs(want, h.sink.AllLogs()[0]))
		})
	}
}

func pageView(site, eventID string) []byte {
	return fmt.Appendf(nil, `{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":%q}}]},"scopeLogs":[{"logRecords":[`+
		`{"eventName":"browser.page_view","attributes":[{"key":"log.record.uid","value":{"stringValue":%q}},{"key":"url.full","value":{"stringValue":"https://www.example.com/"}}]}]}]}]}`, site, eventID)
}

func pageViews(n int) []byte {
	records := make([]string, n)
	for i := range records {
		records[i] = fmt.Sprintf(`{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/%d"}}]}`, i)
	}
	return []byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":"example"}}]},"scopeLogs":[{"logRecords":[` + strings.Join(records, ",") + `]}]}]}`)
}

// refusalCase is a request and how it must be refused.
type refusalCase struct {
	name        string
	req         request
	wantStatus  int
	wantMessage string
	wantReason  string
}

// checkRefusals sends each request to a receiver of its own and checks the
// status, the message (as message reads it), the refusal metric, and that
// nothing was forwarded.
func checkRefusals(t *testing.T, config func(testing.TB) *Config, tests []refusalCase, message func(*testing.T, testhttp.Response, []byte) string) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startReceiver(t, config(t), nil)
			tt.req.userAgent = chromeUA
			resp, body := h.do(t, tt.req)
			require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			assert.Contains(t, message(t, resp, body), tt.wantMessage)
			assert.Empty(t, h.sink.AllLogs(), "nothing is forwarded")
			if tt.wantReason != "" {
				metadatatest.AssertEqualReceiverBrowsereventsRefusedRequests(t, h.tel, []metricdata.DataPoint[int64]{
					{Attributes: attribute.NewSet(attribute.String("reason", tt.wantReason)), Value: 1},
				}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	tests := []refusalCase{
		{name: "GET on logs path", req: request{method: http.MethodGet}, wantStatus: http.StatusMethodNotAllowed, wantMessage: "method GET not allowed", wantReason: "method_not_allowed"},
		{name: "corrupt gzip", req: request{contentType: "application/json", body: []byte("not gzip at all"), headers: map[string]string{"Content-Encoding": "gzip"}}, wantStatus: http.StatusBadRequest, wantMessage: "gzip", wantReason: "malformed"},
		{name: "unsupported content type", req: request{contentType: "application/xml", body: []byte("<x/>")}, wantStatus: http.StatusUnsupportedMediaType, wantMessage: "unsupported media type", wantReason: "unsupported_media_type"},
		{name: "no content type", req: request{body: pageView("example", "e1")}, wantStatus: http.StatusUnsupportedMediaType, wantMessage: "unsupported media type", wantReason: "unsupported_media_type"},
		{name: "malformed JSON", req: request{contentType: "application/json", body: []byte(`{"resourceLogs": [`)}, wantStatus: http.StatusBadRequest, wantMessage: "malformed JSON", wantReason: "malformed"},
		{name: "malformed protobuf", req: request{contentType: "application/x-protobuf", body: []byte{0x0a, 0xff, 0xff, 0xff}}, wantStatus: http.StatusBadRequest, wantMessage: "malformed protobuf", wantReason: "malformed"},
		{name: "invalid UTF-8", req: request{contentType: "text/plain", body: append(pageView("example", "e1")[:20:20], 0xff, 0xfe)}, wantStatus: http.StatusBadRequest, wantMessage: "not valid UTF-8", wantReason: "malformed"},
		{name: "body over the limit", req: request{contentType: "application/json", body: bytes.Repeat([]byte(" "), 2<<20)}, wantStatus: http.StatusRequestEntityTooLarge, wantMessage: "exceeds max_request_body_size", wantReason: "too_large"},
		{name: "gzip bomb over the limit", req: request{contentType: "application/json", body: bytes.Repeat([]byte(" "), 4<<20), gzip: true}, wantStatus: http.StatusRequestEntityTooLarge, wantMessage: "exceeds max_request_body_size", wantReason: "too_large"},
		{name: "too many events", req: request{contentType: "application/json", origin: siteOrigin, body: pageViews(101)}, wantStatus: http.StatusRequestEntityTooLarge, wantMessage: "request has more events than max_events_per_request of 100", wantReason: "too_large"},
		{name: "unknown site", req: request{contentType: "application/json", origin: siteOrigin, body: pageView("nosuchsite", "e1")}, wantStatus: http.StatusForbidden, wantMessage: `site "nosuchsite" is not configured`, wantReason: "unknown_site"},
		{name: "origin not allowed", req: request{contentType: "application/json", origin: "https://evil.example.net", body: pageView("example", "e1")}, wantStatus: http.StatusForbidden, wantMessage: `origin "https://evil.example.net" may not send events for site "example"`, wantReason: "origin_not_allowed"},
		{name: "no origin", req: request{contentType: "application/json", body: pageView("example", "e1")}, wantStatus: http.StatusForbidden, wantMessage: `request has no Origin header and site "example" requires one`, wantReason: "origin_not_allowed"},
		{name: "opaque origin", req: request{contentType: "application/json", origin: "null", body: pageView("example", "e1")}, wantStatus: http.StatusForbidden, wantMessage: `origin "null" may not send events`, wantReason: "origin_not_allowed"},
		{name: "bad event id", req: request{contentType: "application/json", origin: siteOrigin, body: pageView("example", "has space")}, wantStatus: http.StatusBadRequest, wantMessage: "log.record.uid must be 1 to 64 printable ASCII characters", wantReason: "invalid_event"},
	}
	checkRefusals(t, testConfig, tests, func(t *testing.T, resp testhttp.Response, body []byte) string {
		return decodeStatus(t, resp, body).GetMessage()
	})
}

// decodeStatus reads the google.rpc.Status an error response must carry, in
// the encoding of the request.
func decodeStatus(t *testing.T, resp testhttp.Response, body []byte) *spb.Status {
	t.Helper()
	st := &spb.Status{}
	switch resp.Header.Get("Content-Type") {
	case "application/x-protobuf":
		require.NoError(t, proto.Unmarshal(body, st))
	case "application/json":
		require.NoError(t, protojson.Unmarshal(body, st))
	default:
		t.Fatalf("error response has content type %q", resp.Header.Get("Content-Type"))
	}
	return st
}

func TestServerSideSenderWithoutOrigin(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	resp, body := h.do(t, request{contentType: "application/json", userAgent: chromeUA, body: pageView("server", "s1")})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, 1, h.sink.LogRecordCount())
}

func TestSiteFromQueryParameter(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	body := []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://app.example.com/"}}]}]}]}]}`)
	resp, respBody := h.do(t, request{path: logsPath + "?site=app", contentType: "application/json", origin: appOrigin, userAgent: chromeUA, body: body})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(respBody))
	site, _ := h.sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().Get(schema.AttrSiteID)
	assert.Equal(t, "app", site.Str())
}

func TestRateLimitPerClient(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit = RateLimitConfig{Enabled: true, EventsPerSecond: 2, Burst: 100, MaxClients: 10, BytesPerToken: 1 << 20}
	h := startReceiver(t, cfg, nil)
	send := func(xff string, n int) testhttp.Response {
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageViews(n), headers: map[string]string{"X-Forwarded-For": xff}})
		return resp
	}
	assert.Equal(t, http.StatusOK, send("198.51.100.1", 100).StatusCode, "the burst passes")
	h.now = h.now.Add(500 * time.Millisecond) // one token back: the request's own
	resp := send("198.51.100.1", 3)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Contains(t, []string{"1", "2", "3"}, resp.Header.Get("Retry-After"), "2 more events at 2/s: 1 s, and up to 2 s of jitter")
	assert.Equal(t, http.StatusOK, send("198.51.100.2", 3).StatusCode, "another client is not affected")

	h.now = h.now.Add(1500 * time.Millisecond)
	assert.Equal(t, http.StatusOK, send("198.51.100.1", 3).StatusCode, "refilled at the announced time")
	assert.Equal(t, 106, h.sink.LogRecordCount())

	metadatatest.AssertEqualReceiverBrowsereventsRefusedEvents(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("reason", "rate_limited")), Value: 3},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestRateLimiterTableEvictionsAreCounted(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit.MaxClients = 2
	h := startReceiver(t, cfg, nil)
	for i := range 5 {
		resp, _ := h.do(t, request{
			contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", fmt.Sprintf("e%d", i)),
			headers: map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", i+1)},
		})
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	metadatatest.AssertEqualReceiverBrowsereventsRateLimiterEvictions(t, h.tel, []metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// Every request costs a token before its body is read: empty and malformed
// requests are not free, and a client out of tokens is refused before its
// body is decoded.
func TestRateLimiterChargesEveryRequest(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit = RateLimitConfig{Enabled: true, EventsPerSecond: 1, Burst: 100, MaxClients: 10, BytesPerToken: 1 << 20}
	h := startReceiver(t, cfg, nil)
	for i := range 100 {
		body := []byte(`{"resourceLogs":[]}`)
		if i%2 == 1 {
			body = []byte(`{not json`)
		}
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: body})
		require.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode, "request %d is within the burst", i)
	}
	resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", "e1")})
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "the empty and malformed requests used the burst")
	assert.Zero(t, h.sink.LogRecordCount())
}

// Behind an X-Forwarded-For proxy, a Forwarded header is the client's own
// and does not give it a fresh bucket.
func TestForgedForwardedHeaderGivesNoFreshBucket(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit = RateLimitConfig{Enabled: true, EventsPerSecond: 1, Burst: 100, MaxClients: 10, BytesPerToken: 1 << 20}
	h := startReceiver(t, cfg, nil)
	send := func(forged string) int {
		resp, _ := h.do(t, request{
			contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageViews(50),
			headers: map[string]string{"X-Forwarded-For": "198.51.100.7", "Forwarded": "for=" + forged},
		})
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, send("6.6.6.1"))
	assert.Equal(t, http.StatusOK, send("6.6.6.2"))
	assert.Equal(t, http.StatusTooManyRequests, send("6.6.6.3"), "one client, whatever it claims")
}

// Sec-GPC and DNT are honoured as the tracker honours them: nothing is kept,
// the client is answered success, and the drop is counted.
func TestOptOutHeadersAreHonoured(t *testing.T) {
	for _, header := range []string{"Sec-GPC", "DNT"} {
		t.Run(header, func(t *testing.T) {
			h := startReceiver(t, testConfig(t), nil)
			resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", "e1"), headers: map[string]string{header: "1"}})
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Zero(t, h.sink.LogRecordCount())
			metadatatest.AssertEqualReceiverBrowsereventsRefusedEvents(t, h.tel, []metricdata.DataPoint[int64]{
				{Attributes: attribute.NewSet(attribute.String("reason", "opted_out")), Value: 1},
			}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
		})
	}
	cfg := testConfig(t)
	cfg.Privacy.HonorOptOutHeaders = false
	h := startReceiver(t, cfg, nil)
	resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", "e1"), headers: map[string]string{"Sec-GPC": "1"}})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 1, h.sink.LogRecordCount(), "kept when configured off")
}

func TestDownstreamErrorsMapToRetryableOrPermanent(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantReason string
		retryAfter []string
		message    string
	}{
		{
			name: "transient", err: fmt.Errorf("write-ahead log: open /var/lib/footfall/state/x.db: no space left on device"),
			wantStatus: http.StatusServiceUnavailable, wantReason: "downstream_retryable", retryAfter: []string{"1", "2", "3"},
			message: "the collector cannot store events right now; retry later",
		},
		{
			name: "permanent", err: consumererror.NewPermanent(fmt.Errorf("cannot encode in /internal/path")),
			wantStatus: http.StatusBadRequest, wantReason: "downstream_permanent", retryAfter: []string{""},
			message: "the events were refused by the pipeline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startReceiver(t, testConfig(t), consumertest.NewErr(tt.err))
			resp, body := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", "e1")})
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Contains(t, tt.retryAfter, resp.Header.Get("Retry-After"), "a second, with up to two of jitter")
			message := decodeStatus(t, resp, body).GetMessage()
			assert.Equal(t, tt.message, message)
			assert.NotContains(t, message, "/", "no internal detail reaches a public client")
			metadatatest.AssertEqualReceiverBrowsereventsRefusedEvents(t, h.tel, []metricdata.DataPoint[int64]{
				{Attributes: attribute.NewSet(attribute.String("reason", tt.wantReason)), Value: 1},
			}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
		})
	}
}

func TestBots(t *testing.T) {
	t.Run("dropped by default, answered with success", func(t *testing.T) {
		h := startReceiver(t, testConfig(t), nil)
		resp, body := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: googlebotUA, body: pageViews(3)})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		exportResp := plogotlp.NewExportResponse()
		require.NoError(t, exportResp.UnmarshalJSON(body))
		assert.Zero(t, exportResp.PartialSuccess().RejectedLogRecords(), "a bot is not told it was dropped")
		assert.Empty(t, h.sink.AllLogs())
		metadatatest.AssertEqualReceiverBrowsereventsRefusedEvents(t, h.tel, []metricdata.DataPoint[int64]{
			{Attributes: attribute.NewSet(attribute.String("reason", "bot")), Value: 3},
		}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
		assertBotEvents(t, h, map[string]int64{schema.BotReasonUserAgent: 3})
	})
	t.Run("headless client hint with a browser's User-Agent", func(t *testing.T) {
		h := startReceiver(t, testConfig(t), nil)
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageViews(2), headers: map[string]string{
			"Sec-CH-UA": `"Chromium";v="131", "Not_A Brand";v="24", "HeadlessChrome";v="131"`,
		}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, h.sink.AllLogs())
		assertBotEvents(t, h, map[string]int64{schema.BotReasonClientHint: 2})
	})
	t.Run("a person's client hint", func(t *testing.T) {
		h := startReceiver(t, testConfig(t), nil)
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageViews(2), headers: map[string]string{
			"Sec-CH-UA": `"Chromium";v="131", "Not_A Brand";v="24", "Google Chrome";v="131"`,
		}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, 2, h.sink.LogRecordCount())
	})
	t.Run("datacenter ranges", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.DatacenterRangesFile = filepath.Join(t.TempDir(), "dc.txt")
		require.NoError(t, os.WriteFile(cfg.DatacenterRangesFile, []byte("198.51.100.0/24 # the test client\n"), 0o600))
		h := startReceiver(t, cfg, nil)
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageViews(1)})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, h.sink.AllLogs())
		assertBotEvents(t, h, map[string]int64{schema.BotReasonDatacenter: 1})
	})
	t.Run("referrer spam drops the page view, not the visitor's click", func(t *testing.T) {
		h := startReceiver(t, testConfig(t), nil)
		body := `{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":"example"}}]},"scopeLogs":[{"logRecords":[` +
			`{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/"}},{"key":"footfall.referrer","value":{"stringValue":"https://www.0-0.fr/promo"}}]},` +
			`{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/b"}},{"key":"footfall.referrer","value":{"stringValue":"https://news.ycombinator.com/"}}]},` +
			`{"eventName":"click","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/"}}]}]}]}]}`
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(body)})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, 2, h.sink.LogRecordCount())
		assertBotEvents(t, h, map[string]int64{schema.BotReasonReferrerSpam: 1})
	})
	t.Run("allowed User-Agent", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.AllowedUserAgents = []string{"googlebot/"}
		h := startReceiver(t, cfg, nil)
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: googlebotUA, body: pageViews(1)})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, 1, h.sink.LogRecordCount())
	})
	t.Run("flagged when configured", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Bots = BotsFlag
		h := startReceiver(t, cfg, nil)
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: googlebotUA, body: pageViews(1)})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, 1, h.sink.LogRecordCount())
		attrs := h.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
		synthetic, ok := attrs.Get(schema.AttrUserAgentSynthetic)
		require.True(t, ok)
		assert.Equal(t, "bot", synthetic.Str())
		device, _ := attrs.Get(schema.AttrDeviceType)
		assert.Equal(t, "bot", device.Str())
		reason, _ := attrs.Get(schema.AttrBotReason)
		assert.Equal(t, schema.BotReasonUserAgent, reason.Str())
		assertBotEvents(t, h, map[string]int64{schema.BotReasonUserAgent: 1})
	})
}

// assertBotEvents checks the receiver's bot_events counter of site example.
func assertBotEvents(t *testing.T, h *harness, want map[string]int64) {
	t.Helper()
	var points []metricdata.DataPoint[int64]
	for reason, n := range want {
		points = append(points, metricdata.DataPoint[int64]{
			Attributes: attribute.NewSet(attribute.String("site", "example"), attribute.String("reason", reason)), Value: n,
		})
	}
	metadatatest.AssertEqualReceiverBrowsereventsBotEvents(t, h.tel, points, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestEmptyRequestIsSuccess(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	resp, body := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(`{}`)})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Empty(t, h.sink.AllLogs())
}

func TestCORS(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	preflight := func(origin string) testhttp.Response {
		resp, _ := h.do(t, request{method: http.MethodOptions, origin: origin, headers: map[string]string{
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "content-type",
		}})
		return resp
	}
	resp := preflight(siteOrigin)
	assert.Equal(t, siteOrigin, resp.Header.Get("Access-Control-Allow-Origin"), "site origins are allowed without a cors section")
	assert.Equal(t, "7200", resp.Header.Get("Access-Control-Max-Age"))
	assert.Empty(t, preflight("https://evil.example.net").Header.Get("Access-Control-Allow-Origin"))
	withPort := strings.TrimSuffix(siteOrigin, "/") + ":8443"
	assert.Equal(t, withPort, preflight(withPort).Header.Get("Access-Control-Allow-Origin"), "a site origin without a port admits every port")
}

func TestCORSOriginsFromSitePatterns(t *testing.T) {
	got := corsOrigins([]SiteConfig{{Origins: []string{"https://www.example.com", "example.org", "*.example.net", "localhost:8080"}}})
	assert.Equal(t, []string{
		"https://www.example.com", "https://www.example.com:*",
		"https://example.org", "https://example.org:*", "http://example.org", "http://example.org:*",
		"https://*.example.net", "https://example.net", "https://example.net:*", "http://*.example.net", "http://example.net", "http://example.net:*",
		"https://localhost:8080", "http://localhost:8080",
	}, got)
}

func TestVisitorIDDoesNotDependOnRequestButOnClient(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	visitorOf := func(xff, ua string) string {
		h.sink.Reset()
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: ua, body: pageView("example", "e"), headers: map[string]string{"X-Forwarded-For": xff}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		v, _ := h.sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().Get(schema.AttrVisitorID)
		return v.Str()
	}
	first := visitorOf("198.51.100.7", chromeUA)
	assert.Equal(t, first, visitorOf("198.51.100.7", chromeUA))
	assert.NotEqual(t, first, visitorOf("198.51.100.8", chromeUA))
	assert.NotEqual(t, first, visitorOf("198.51.100.7", chromeUA+" Edg/131.0"))
	h.now = h.now.Add(24 * time.Hour)
	assert.NotEqual(t, first, visitorOf("198.51.100.7", chromeUA), "the salt rotates at midnight UTC")
}

func TestRawClientAddressNeverLeaves(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: readRequest(t, "tracker_batch")})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out, err := (&plog.JSONMarshaler{}).MarshalLogs(h.sink.AllLogs()[0])
	require.NoError(t, err)
	assert.NotContains(t, string(out), clientIP)
	assert.NotContains(t, string(out), "127.0.0.1")
}

func TestShutdownWithoutStart(t *testing.T) {
	rcv, err := newReceiver(testConfig(t), metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
}

func TestStartFailsOnMissingGeoIPDatabase(t *testing.T) {
	cfg := testConfig(t)
	cfg.GeoIP.Database = filepath.Join(t.TempDir(), "missing.mmdb")
	rcv, err := newReceiver(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop())
	require.NoError(t, err)
	require.ErrorContains(t, rcv.Start(context.Background(), componenttest.NewNopHost()), "opening GeoIP database")
}

func TestStartFailsOnMissingStorageExtension(t *testing.T) {
	cfg := testConfig(t)
	cfg.Visitor.SaltSecret = ""
	id := component.MustNewID("file_storage")
	cfg.Visitor.Storage = &id
	rcv, err := newReceiver(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop())
	require.NoError(t, err)
	require.ErrorContains(t, rcv.Start(context.Background(), componenttest.NewNopHost()), `extension "file_storage" not found`)
}

func TestBotWithWrongSiteStillGetsTheError(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	resp, body := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: "curl/8.5.0", body: pageView("nosuchsite", "e1")})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, decodeStatus(t, resp, body).GetMessage(), `site "nosuchsite" is not configured`)
}
