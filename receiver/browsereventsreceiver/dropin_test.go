// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/testhttp"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadatatest"
)

const (
	plausiblePageView = `{"n":"pageview","v":36,"u":"https://www.example.com/pricing?utm_source=newsletter","d":"www.example.com","r":"https://www.google.com/"}`
	plausibleSignup   = `{"n":"signup","v":36,"u":"https://www.example.com/pricing","d":"www.example.com","r":null,"p":{"plan":"pro"},"$":{"amount":10,"currency":"EUR"}}`
	faroPayload       = `{"meta":{"sdk":{"name":"faro-web","version":"2.12.1"},"app":{"name":"shop","version":"1.0.0"},
		"user":{"email":"someone@example.com"},"page":{"url":"https://www.example.com/pricing"},"session":{"id":"oUdXih3s2a"}},
		"events":[{"name":"session_start","domain":"browser","timestamp":"2026-11-18T09:29:58.959Z"},
			{"name":"signup","domain":"browser","attributes":{"plan":"pro"},"timestamp":"2026-11-18T09:29:59.100Z"}],
		"measurements":[{"type":"web-vitals","values":{"lcp":192,"delta":192},"timestamp":"2026-11-18T09:29:59.200Z"}],
		"exceptions":[{"type":"TypeError","value":"x is undefined"},{"type":"MadeUp<script>","value":"?"}],
		"logs":[{"message":"hello","level":"warn"}]}`
)

func dropinConfig(t testing.TB) *Config {
	cfg := testConfig(t)
	cfg.Sites[0].Names = []string{"shop"}
	return cfg
}

// Plausible's tracker posts text/plain JSON and gets 202, as from Plausible;
// the domain names the site through its origins, and the events come out
// in the schema, their format recorded.
func TestPlausibleEventsAPI(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	for _, body := range []string{plausiblePageView, plausibleSignup} {
		resp, respBody := h.do(t, request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, userAgent: chromeUA, body: []byte(body)})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(respBody))
	}
	require.Equal(t, 2, h.sink.LogRecordCount())
	pv := h.sink.AllLogs()[0].ResourceLogs().At(0)
	site, _ := pv.Resource().Attributes().Get(schema.AttrSiteID)
	assert.Equal(t, "example", site.Str())
	attrs := pv.ScopeLogs().At(0).LogRecords().At(0).Attributes()
	assert.Equal(t, schema.EventPageView, pv.ScopeLogs().At(0).LogRecords().At(0).EventName())
	assert.Equal(t, "plausible", attr.Str(attrs, schema.AttrIngestFormat))
	assert.Equal(t, "search", attr.Str(attrs, schema.AttrReferrerClass))
	assert.Equal(t, "newsletter", attr.Str(attrs, schema.AttrUTMSource))
	signup := h.sink.AllLogs()[1].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "signup", signup.EventName())
	assert.Equal(t, "pro", attr.Str(signup.Attributes(), "plan"))
	value, _ := signup.Attributes().Get(schema.AttrGoalValue)
	assert.InDelta(t, 10, value.Double(), 0)
	assert.Equal(t, "EUR", attr.Str(signup.Attributes(), schema.AttrGoalCurrency))
}

// A navigation of the OpenTelemetry JS browser instrumentation, posted to
// /v1/logs, becomes a page view with its attribution.
func TestOpenTelemetryNavigationOverOTLP(t *testing.T) {
	h := startReceiver(t, testConfig(t), nil)
	body := []byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":"example"}}]},"scopeLogs":[{"logRecords":[` +
		`{"eventName":"browser.navigation","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/a?utm_source=x"}},{"key":"browser.navigation.hash_change","value":{"boolValue":false}}]}]}]}]}`)
	resp, respBody := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: body})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(respBody))
	require.Equal(t, 1, h.sink.LogRecordCount())
	lr := h.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, schema.EventPageView, lr.EventName())
	assert.Equal(t, "x", attr.Str(lr.Attributes(), schema.AttrUTMSource))
}

// Faro's payload: its app name names the site; the page view is derived
// from meta.page.url, custom events and web vitals come through, Faro's own
// events, exceptions and logs are counted by type, and the user meta (an
// e-mail address here) is not kept anywhere.
func TestFaroPayload(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	resp, respBody := h.do(t, request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(faroPayload)})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(respBody))
	require.Len(t, h.sink.AllLogs(), 1)
	rl := h.sink.AllLogs()[0].ResourceLogs().At(0)
	site, _ := rl.Resource().Attributes().Get(schema.AttrSiteID)
	assert.Equal(t, "example", site.Str())
	var names []string
	for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
		names = append(names, lr.EventName())
		assert.Equal(t, "faro", attr.Str(lr.Attributes(), schema.AttrIngestFormat))
		assert.Equal(t, "oUdXih3s2a", attr.Str(lr.Attributes(), schema.AttrSessionID))
		assert.NotContains(t, lr.Attributes().AsRaw(), "user")
	}
	assert.Equal(t, []string{schema.EventPageView, "signup", schema.EventWebVital}, names)
	assert.NotContains(t, logsText(t, h), "someone@example.com")

	format := attribute.String("format", "faro")
	point := func(kind, typ string) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: 1, Attributes: attribute.NewSet(format, attribute.String("signal_kind", kind), attribute.String("signal_type", typ))}
	}
	metadatatest.AssertEqualReceiverBrowsereventsSignals(t, h.tel, []metricdata.DataPoint[int64]{
		point("event", "session_start"), point("exception", "TypeError"), point("exception", "other"), point("log", "warn"),
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// A retried Faro request gives the same event ids, so the sessionizer
// drops the copy.
func TestFaroRetryHasTheSameEventIDs(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	for range 2 {
		resp, respBody := h.do(t, request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(faroPayload)})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(respBody))
	}
	ids := func(i int) []string {
		var out []string
		for _, lr := range h.sink.AllLogs()[i].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
			out = append(out, attr.Str(lr.Attributes(), schema.AttrEventID))
		}
		return out
	}
	assert.Equal(t, ids(0), ids(1))
	assert.Len(t, ids(0), 3)
}

func logsText(t *testing.T, h *harness) string {
	t.Helper()
	var b strings.Builder
	for _, ld := range h.sink.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			b.WriteString(attr.Str(rl.Resource().Attributes(), schema.AttrSiteID))
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					raw, err := json.Marshal(lr.Attributes().AsRaw())
					require.NoError(t, err)
					b.Write(raw)
				}
			}
		}
	}
	return b.String()
}

// Each format refuses what it cannot take with a status, a clear message in
// its own shape, and a reason on the refusal metric; nothing is forwarded.
func TestDropInRefusals(t *testing.T) {
	many := `{"meta":{"app":{"name":"shop"},"page":{"url":"https://www.example.com/"},"session":{"id":"s1"}},"events":[` +
		strings.TrimSuffix(strings.Repeat(`{"name":"click","timestamp":"2026-11-18T09:29:59Z"},`, 101), ",") + `]}`
	tests := []refusalCase{
		{"plausible GET", request{method: http.MethodGet, path: defaultPlausiblePath}, http.StatusMethodNotAllowed, "method GET not allowed", "method_not_allowed"},
		{"plausible malformed", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: []byte(`{"n":"pageview",`)}, http.StatusBadRequest, "not a Plausible event", "malformed"},
		{"plausible empty", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin}, http.StatusBadRequest, "body is empty", "malformed"},
		{"plausible no url", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: []byte(`{"n":"pageview","d":"www.example.com"}`)}, http.StatusBadRequest, `"url" is required`, "malformed"},
		{"plausible reserved prop", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: []byte(`{"n":"x","u":"https://www.example.com/","d":"www.example.com","p":{"footfall.goal.value":"1e9"}}`)}, http.StatusBadRequest, `property "footfall.goal.value" is reserved`, "malformed"},
		{"plausible bad revenue", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: []byte(`{"n":"x","u":"https://www.example.com/","d":"www.example.com","$":{"amount":"lots","currency":"EUR"}}`)}, http.StatusBadRequest, `numeric "amount"`, "malformed"},
		{"plausible negative engagement", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: []byte(`{"n":"engagement","u":"https://www.example.com/","d":"www.example.com","e":-5}`)}, http.StatusBadRequest, "footfall.engagement.time_ms must be a finite number", "invalid_event"},
		{"plausible unknown domain", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: []byte(`{"n":"pageview","u":"https://elsewhere.example/","d":"elsewhere.example"}`)}, http.StatusForbidden, `site "elsewhere.example" is not configured`, "unknown_site"},
		{"plausible wrong origin", request{path: defaultPlausiblePath, contentType: "text/plain", origin: "https://evil.example.net", body: []byte(plausiblePageView)}, http.StatusForbidden, `origin "https://evil.example.net" may not send events for site "example"`, "origin_not_allowed"},
		{"plausible oversize", request{path: defaultPlausiblePath, contentType: "text/plain", origin: siteOrigin, body: bytes.Repeat([]byte(" "), 2<<20)}, http.StatusRequestEntityTooLarge, "exceeds the plausible format's limit of 32768 bytes", "too_large"},
		{"plausible xml", request{path: defaultPlausiblePath, contentType: "application/xml", origin: siteOrigin, body: []byte("<x/>")}, http.StatusUnsupportedMediaType, "unsupported media type", "unsupported_media_type"},
		{"faro malformed", request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, body: []byte(`{"meta":`)}, http.StatusBadRequest, "not a Faro payload", "malformed"},
		{"faro wrong types", request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, body: []byte(`{"events":"many"}`)}, http.StatusBadRequest, `field "events" has the wrong type`, "malformed"},
		{"faro unknown app", request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, body: []byte(strings.Replace(faroPayload, `"name":"shop"`, `"name":"other-app"`, 1))}, http.StatusForbidden, `site "other-app" is not configured`, "unknown_site"},
		{"faro wrong origin", request{path: defaultFaroPath, contentType: "application/json", origin: "https://evil.example.net", body: []byte(faroPayload)}, http.StatusForbidden, `may not send events for site "example"`, "origin_not_allowed"},
		{"faro too many events", request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, body: []byte(many)}, http.StatusRequestEntityTooLarge, "request has more events than max_events_per_request of 100", "too_large"},
		{"faro gzip bomb", request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, body: bytes.Repeat([]byte(" "), 4<<20), gzip: true}, http.StatusRequestEntityTooLarge, "exceeds max_request_body_size", "too_large"},
	}
	checkRefusals(t, dropinConfig, tests, errorMessage)
}

// errorMessage reads a refusal's message: {"error": ...} from the JSON
// formats, an OTLP status where confighttp answered before the handler.
func errorMessage(t *testing.T, resp testhttp.Response, body []byte) string {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(body, &v), "%s: %s", resp.Header.Get("Content-Type"), body)
	if msg, ok := v["error"].(string); ok {
		return msg
	}
	msg, _ := v["message"].(string)
	return msg
}

// An invalid Faro event is refused alone: the rest of the request is kept,
// and the answer names what was wrong.
func TestFaroRefusesOneEventAndKeepsTheRest(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	body := strings.Replace(faroPayload, `"attributes":{"plan":"pro"}`, `"attributes":{"plan":"pro","log.record.uid":"forged"}`, 1)
	resp, respBody := h.do(t, request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(body)})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(respBody))
	assert.Contains(t, string(respBody), `attribute \"log.record.uid\" is reserved`)
	assert.Equal(t, 2, h.sink.LogRecordCount(), "the page view and the web vital")
}

// Faro's fetch transport sends its session id in a header: the preflight
// must allow it, or the browser sends nothing. (Browsers send the list
// sorted, as rs/cors requires.)
func TestFaroPreflight(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	resp, _ := h.do(t, request{method: http.MethodOptions, path: defaultFaroPath, origin: siteOrigin, headers: map[string]string{
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "content-encoding,content-type,idempotency-key,x-faro-session-id",
	}})
	assert.Equal(t, siteOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	for _, header := range []string{"x-faro-session-id", "idempotency-key", "content-encoding"} {
		assert.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), header)
	}
}

// Faro's transport can gzip its body; it is read like any other.
func TestFaroGzippedPayload(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	resp, respBody := h.do(t, request{path: defaultFaroPath, contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(faroPayload), gzip: true})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(respBody))
	assert.Equal(t, 3, h.sink.LogRecordCount())
}

// faroOTLPRequest is what Faro's OTLP transport (@grafana/faro-transport-otlp-http
// 2.12.1) posts, written from its transform code: every item a log record
// with the meta as attributes, the user's among them.
const faroOTLPRequest = `{"resourceLogs":[{"resource":{"attributes":[
	{"key":"service.name","value":{"stringValue":"shop"}},
	{"key":"user_agent.original","value":{"stringValue":"Mozilla/5.0"}}]},
  "scopeLogs":[{"scope":{"name":"@grafana/faro-web-sdk","version":"2.12.1"},"logRecords":[
	{"timeUnixNano":"1795512598100000000","body":{"stringValue":"signup"},"attributes":[
		{"key":"url.full","value":{"stringValue":"https://www.example.com/pricing"}},
		{"key":"session.id","value":{"stringValue":"oUdXih3s2a"}},
		{"key":"user.email","value":{"stringValue":"someone@example.com"}},
		{"key":"user.id","value":{"stringValue":"u-42"}},
		{"key":"event.name","value":{"stringValue":"signup"}},
		{"key":"event.domain","value":{"stringValue":"browser"}},
		{"key":"event.attributes","value":{"kvlistValue":{"values":[{"key":"plan","value":{"stringValue":"pro"}}]}}}]},
	{"timeUnixNano":"1795512598000000000","attributes":[
		{"key":"url.full","value":{"stringValue":"https://www.example.com/pricing"}},
		{"key":"session.id","value":{"stringValue":"oUdXih3s2a"}},
		{"key":"event.name","value":{"stringValue":"session_start"}}]},
	{"timeUnixNano":"1795512598200000000","attributes":[
		{"key":"url.full","value":{"stringValue":"https://www.example.com/pricing"}},
		{"key":"session.id","value":{"stringValue":"oUdXih3s2a"}},
		{"key":"measurement.type","value":{"stringValue":"web-vitals"}},
		{"key":"measurement.name","value":{"stringValue":"cls"}},
		{"key":"measurement.value","value":{"doubleValue":0.1}}]},
	{"timeUnixNano":"1795512598300000000","attributes":[
		{"key":"url.full","value":{"stringValue":"https://www.example.com/pricing"}},
		{"key":"session.id","value":{"stringValue":"oUdXih3s2a"}},
		{"key":"exception.type","value":{"stringValue":"TypeError"}},
		{"key":"exception.message","value":{"stringValue":"x is undefined"}}]},
	{"timeUnixNano":"1795512598400000000","severityText":"WARN","body":{"stringValue":"hello"},"attributes":[
		{"key":"url.full","value":{"stringValue":"https://www.example.com/pricing"}},
		{"key":"session.id","value":{"stringValue":"oUdXih3s2a"}}]}]}]}]}`

// Faro's OTLP transport pointed at /v1/logs gives the events its native
// payload gives, and none of the user meta it attaches to every record.
func TestFaroOTLPTransport(t *testing.T) {
	h := startReceiver(t, dropinConfig(t), nil)
	resp, respBody := h.do(t, request{path: logsPath + "?site=example", contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(faroOTLPRequest)})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(respBody))
	require.Len(t, h.sink.AllLogs(), 1)
	var names []string
	for _, lr := range h.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
		names = append(names, lr.EventName())
		assert.Equal(t, "oUdXih3s2a", attr.Str(lr.Attributes(), schema.AttrSessionID))
		if lr.EventName() == "signup" {
			assert.Equal(t, "pro", attr.Str(lr.Attributes(), "plan"))
		}
	}
	assert.Equal(t, []string{schema.EventPageView, "signup", schema.EventWebVital}, names)
	text := logsText(t, h)
	assert.NotContains(t, text, "someone@example.com")
	assert.NotContains(t, text, "u-42")

	point := func(kind, typ string) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: 1, Attributes: attribute.NewSet(attribute.String("format", "otlp"), attribute.String("signal_kind", kind), attribute.String("signal_type", typ))}
	}
	metadatatest.AssertEqualReceiverBrowsereventsSignals(t, h.tel, []metricdata.DataPoint[int64]{
		point("event", "session_start"), point("exception", "TypeError"), point("log", "warn"),
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}
