// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// Each attack is one small request from a public client; each must be
// answered with a small body, and an innocent client's page view sent after
// it must come out exactly as it would alone.
func TestHostileRequestsGetSmallAnswers(t *testing.T) {
	long := strings.Repeat("<", 900_000)
	longKeys := make([]string, 20)
	for i := range longKeys {
		longKeys[i] = fmt.Sprintf(`{"key":%q,"value":{"stringValue":"v"}}`, strings.Repeat(string(rune('a'+i)), 30_000))
	}
	tests := []struct {
		name       string
		req        request
		wantStatus int
	}{
		{
			name:       "plausible domain of 30 KB",
			req:        request{path: defaultPlausiblePath, contentType: "text/plain", gzip: true, body: fmt.Appendf(nil, `{"n":"pageview","u":"https://www.example.com/","d":%q}`, long[:30_000])},
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "plausible body over its cap",
			req:        request{path: defaultPlausiblePath, contentType: "text/plain", gzip: true, body: fmt.Appendf(nil, `{"n":"pageview","u":"https://www.example.com/","d":%q}`, long)},
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "faro app name of 900 KB",
			req:        request{path: defaultFaroPath, contentType: "application/json", gzip: true, body: fmt.Appendf(nil, `{"meta":{"app":{"name":%q},"page":{"url":"https://www.example.com/"},"session":{"id":"s"}}}`, long)},
			wantStatus: http.StatusForbidden,
		},
		{
			name:       "site query parameter of 30 KB",
			req:        request{path: logsPath + "?site=" + strings.Repeat("x", 30_000), contentType: "application/json", body: []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/"}}]}]}]}]}`)},
			wantStatus: http.StatusForbidden,
		},
		{
			name: "OTLP keys of 30 KB",
			req: request{contentType: "application/json", gzip: true, body: []byte(`{"resourceLogs":[{"resource":{"attributes":[{"key":"footfall.site.id","value":{"stringValue":"example"}}]},"scopeLogs":[{"logRecords":[` +
				`{"eventName":"browser.page_view","attributes":[{"key":"url.full","value":{"stringValue":"https://www.example.com/"}},` + strings.Join(longKeys, ",") + `]}]}]}]}`)},
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startReceiver(t, dropinConfig(t), nil)
			tt.req.origin, tt.req.userAgent = siteOrigin, chromeUA
			tt.req.headers = map[string]string{"X-Forwarded-For": "198.51.100.66"}
			resp, body := h.do(t, tt.req)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			assert.LessOrEqual(t, len(body), maxAnswerBytes, "the answer is bounded: %.200s", body)
			assert.Zero(t, h.sink.LogRecordCount(), "the attack stores nothing")

			resp, body = h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: pageView("example", "innocent")})
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			require.Equal(t, 1, h.sink.LogRecordCount())
			lr := h.sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			assert.Equal(t, "innocent", attr.Str(lr.Attributes(), schema.AttrEventID))
			assert.Equal(t, "/", attr.Str(lr.Attributes(), schema.AttrURLPath))
		})
	}
}

// A few KB of compressed Faro items are refused for their count before a
// single one is mapped, and cost their bytes: the client's next large body
// is refused by the rate limiter.
func TestManyItemsAreRefusedBeforeMapping(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"meta":{"app":{"name":"shop"},"page":{"url":"https://www.example.com/"},"session":{"id":"s"}},"events":[`)
	for i := range 80_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":"e"}`)
	}
	b.WriteString(`]}`)
	h := startReceiver(t, dropinConfig(t), nil)
	started := time.Now()
	resp, body := h.do(t, request{path: defaultFaroPath, contentType: "application/json", gzip: true, origin: siteOrigin, userAgent: chromeUA, body: []byte(b.String())})
	elapsed := time.Since(started)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(body))
	assert.Contains(t, string(body), "more events than max_events_per_request of 100")
	assert.Zero(t, h.sink.LogRecordCount())
	t.Logf("refused in %v", elapsed)
}

// An OTLP request of many records that map to no event (Faro's scope,
// nothing in them) is not free: it is refused for its count.
func TestEmptyFaroOTLPRecordsAreCounted(t *testing.T) {
	records := strings.TrimSuffix(strings.Repeat(`{},`, 5_000), ",")
	body := `{"resourceLogs":[{"scopeLogs":[{"scope":{"name":"@grafana/faro-web-sdk"},"logRecords":[` + records + `]}]}]}`
	h := startReceiver(t, testConfig(t), nil)
	resp, answer := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: []byte(body)})
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(answer))
}

// Bytes cost tokens, refused bodies included: a client that sends large
// malformed bodies runs out of tokens while its event count stays zero.
func TestRateLimiterChargesBytes(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit = RateLimitConfig{Enabled: true, EventsPerSecond: 1, Burst: 100, MaxClients: 10, BytesPerToken: 1024}
	h := startReceiver(t, cfg, nil)
	junk := []byte(`{"x":"` + strings.Repeat("j", 30_000) + `"`) // malformed: never decoded into events
	statuses := map[int]int{}
	for range 4 {
		resp, _ := h.do(t, request{contentType: "application/json", origin: siteOrigin, userAgent: chromeUA, body: junk})
		statuses[resp.StatusCode]++
	}
	assert.Equal(t, map[int]int{http.StatusBadRequest: 3, http.StatusTooManyRequests: 1}, statuses,
		"each 30 KB body costs 30 tokens and its request one: the burst of 100 holds three")
}
