// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/privacy"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/problems"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/useragent"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/visitor"
)

const chromeUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

func newTestEnricher(t testing.TB) *Enricher {
	t.Helper()
	pattern, err := sites.ParsePattern("https://www.example.com")
	require.NoError(t, err)
	registry, err := sites.NewRegistry([]*sites.Site{{ID: "example", Patterns: []sites.Pattern{pattern}}})
	require.NoError(t, err)
	ua, err := useragent.New(100, nil, nil)
	require.NoError(t, err)
	now := func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }
	hasher, err := visitor.NewHasher(context.Background(), &visitor.MemoryStore{}, &visitor.MemoryStore{}, []byte("0123456789abcdef0123456789abcdef"), now, zap.NewNop())
	require.NoError(t, err)
	n := 0
	return &Enricher{
		Sites:     registry,
		UserAgent: ua,
		Visitors:  hasher,
		Limits:    Limits{MaxAttributes: 8, MaxValueLength: 64, MaxEventNameBytes: 32, MaxEventIDBytes: 16, MaxResourceBytes: 256, MaxUserAgentBytes: 512, MaxKeyBytes: 40, MaxEventBytes: 400},
		URLs:      privacy.NewURLScrubber([]string{"utm_*", "gclid"}),
		NewID:     func() string { n++; return fmt.Sprintf("gen-%d", n) },
	}
}

var testRequest = Request{
	Origin:    "https://www.example.com",
	UserAgent: chromeUA,
	ClientIP:  netip.MustParseAddr("198.51.100.1"),
	Received:  time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
}

func oneRecord(mutate func(plog.LogRecord)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "example")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(schema.EventPageView)
	lr.Attributes().PutStr(schema.AttrURLFull, "https://www.example.com/a")
	mutate(lr)
	return ld
}

func TestRecordChecks(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(plog.LogRecord)
		want   string
	}{
		{"valid", func(plog.LogRecord) {}, ""},
		{"name too long", func(lr plog.LogRecord) { lr.SetEventName(strings.Repeat("x", 33)) }, "event name is longer than 32 bytes"},
		{"name with control char", func(lr plog.LogRecord) { lr.SetEventName("a\nb") }, "control characters"},
		{"name invalid utf8", func(lr plog.LogRecord) { lr.SetEventName("a\xffb") }, "event name is not valid UTF-8"},
		{"too many attributes", func(lr plog.LogRecord) {
			for i := range 8 {
				lr.Attributes().PutStr(fmt.Sprint("k", i), "v")
			}
		}, "has 9 attributes, more than the limit of 8"},
		{"value too long", func(lr plog.LogRecord) { lr.Attributes().PutStr("k", strings.Repeat("v", 65)) }, `attribute "k" is longer than 64 bytes`},
		{"value invalid utf8", func(lr plog.LogRecord) { lr.Attributes().PutStr("k", "\xff") }, `attribute "k" is not valid UTF-8`},
		{"nested values count", func(lr plog.LogRecord) {
			s := lr.Attributes().PutEmptySlice("list")
			for range 8 {
				s.AppendEmpty().SetStr("x")
			}
		}, `attribute "list" holds more values than the limit of 8`},
		{"too deep", func(lr plog.LogRecord) {
			m := lr.Attributes().PutEmptyMap("deep")
			for range 5 {
				m = m.PutEmptyMap("d")
			}
		}, "nests deeper than 4 levels"},
		{"body too long", func(lr plog.LogRecord) { lr.Body().SetStr(strings.Repeat("b", 65)) }, `attribute "body" is longer than 64 bytes`},
		{"relative url", func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrURLFull, "/a") }, "url.full is not an absolute http(s) URL"},
		{"javascript url", func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrURLFull, "javascript:alert(1)") }, "url.full is not an absolute http(s) URL"},
		{"url host escaping a non-UTF-8 byte", func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrURLFull, "https://www%80.example/") }, "url.full escapes bytes that are not UTF-8 in its host or path"},
		{"url path escaping a non-UTF-8 byte", func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrURLFull, "https://example.com/a%ff") }, "url.full escapes bytes that are not UTF-8 in its host or path"},
		{"event id too long", func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrEventID, strings.Repeat("i", 17)) }, "log.record.uid must be 1 to 16"},
		{"event id empty", func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrEventID, "") }, "log.record.uid must be 1 to 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newTestEnricher(t).Enrich(context.Background(), testRequest, oneRecord(tt.mutate))
			if tt.want == "" {
				assert.Equal(t, 1, res.Accepted)
				assert.Empty(t, res.Messages)
				return
			}
			assert.Equal(t, 0, res.Accepted)
			assert.Equal(t, map[Reason]int{ReasonInvalidEvent: 1}, res.Rejected)
			require.Len(t, res.Messages, 1)
			assert.Contains(t, res.Messages[0], tt.want)
		})
	}
}

// A request's Origin is checked against each record's site: records of a
// site it may speak for are accepted, before and after one of a site it
// may not, which is refused (the check is made once per site, not once
// per request).
func TestOriginIsCheckedForEachRecordsSite(t *testing.T) {
	e := newTestEnricher(t)
	example, err := sites.ParsePattern("https://www.example.com")
	require.NoError(t, err)
	other, err := sites.ParsePattern("https://other.example")
	require.NoError(t, err)
	e.Sites, err = sites.NewRegistry([]*sites.Site{
		{ID: "example", Patterns: []sites.Pattern{example}},
		{ID: "other", Patterns: []sites.Pattern{other}},
	})
	require.NoError(t, err)
	ld := plog.NewLogs()
	for i, site := range []string{"example", "other", "example", "other"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, site)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.Attributes().PutStr(schema.AttrURLFull, "https://www.example.com/a")
		lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprint("e", i))
	}
	res := e.Enrich(context.Background(), testRequest, ld)
	assert.Equal(t, 2, res.Accepted)
	assert.Equal(t, map[Reason]int{ReasonOriginNotAllowed: 2}, res.Rejected)
	for _, msg := range res.Messages {
		assert.Contains(t, msg, `may not send events for site "other"`)
	}
}

func TestClickCarriesNoAttribution(t *testing.T) {
	res := newTestEnricher(t).Enrich(context.Background(), testRequest, oneRecord(func(lr plog.LogRecord) {
		lr.SetEventName(schema.EventClick)
		lr.Attributes().PutStr(schema.AttrURLFull, "https://www.example.com/a?utm_source=x")
	}))
	require.Equal(t, 1, res.Accepted)
	attrs := res.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	path, _ := attrs.Get(schema.AttrURLPath)
	assert.Equal(t, "/a", path.Str())
	_, hasClass := attrs.Get(schema.AttrReferrerClass)
	_, hasUTM := attrs.Get(schema.AttrUTMSource)
	assert.False(t, hasClass)
	assert.False(t, hasUTM)
}

func TestMessagesAreBounded(t *testing.T) {
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for range 20 {
		sl.LogRecords().AppendEmpty() // no event name
	}
	res := newTestEnricher(t).Enrich(context.Background(), testRequest, ld)
	assert.Equal(t, 20, res.RejectedCount())
	assert.Len(t, res.Messages, problems.Kept)
}

func TestEncodingOf(t *testing.T) {
	for ct, want := range map[string]Encoding{
		"application/json":                JSON,
		"application/json; charset=utf-8": JSON,
		"text/plain;charset=UTF-8":        JSON,
		"application/x-protobuf":          Protobuf,
	} {
		got, err := EncodingOf(ct)
		require.NoError(t, err, ct)
		assert.Equal(t, want, got, ct)
	}
	for _, ct := range []string{"", "application/xml", "multipart/form-data; boundary=x", ";;;"} {
		_, err := EncodingOf(ct)
		assert.ErrorIs(t, err, ErrUnsupportedMediaType, ct)
	}
}

// FuzzDecodeAndEnrich feeds arbitrary bodies through both decoders and the
// enricher: nothing may panic, and every decoded record must be either
// accepted (and present in the output) or rejected with a reason.
func FuzzDecodeAndEnrich(f *testing.F) {
	valid := oneRecord(func(lr plog.LogRecord) {
		lr.Attributes().PutStr(schema.AttrEventID, "e-1")
		lr.Attributes().PutStr(schema.AttrReferrer, "https://www.google.com/")
		lr.Attributes().PutEmptyMap("props").PutStr("plan", "pro")
	})
	req := plogotlp.NewExportRequestFromLogs(valid)
	jsonBody, err := req.MarshalJSON()
	require.NoError(f, err)
	protoBody, err := req.MarshalProto()
	require.NoError(f, err)
	f.Add(jsonBody, false)
	f.Add(protoBody, true)
	f.Add([]byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"x","attributes":[{"key":"url.full","value":{"stringValue":"http://[::1"}}]}]}]}]}`), false)
	f.Add([]byte(`{}`), false)

	enricher := newTestEnricher(f)
	f.Fuzz(func(t *testing.T, body []byte, protobuf bool) {
		enc := JSON
		if protobuf {
			enc = Protobuf
		}
		ld, err := Decode(enc, body)
		if err != nil {
			return
		}
		in := ld.LogRecordCount()
		// The scan that refuses large requests before decoding never
		// panics on what the decoder reads (its count is exact on
		// well-formed requests, TestMoreRecordsThan; the JSON decoder also
		// reads some broken JSON, whose records the count after decoding
		// still bounds).
		_ = MoreRecordsThan(enc, body, in)
		res := enricher.Enrich(context.Background(), testRequest, ld)
		if res.Accepted+res.RejectedCount() != in {
			t.Fatalf("%d records in, %d accepted + %d rejected", in, res.Accepted, res.RejectedCount())
		}
		if res.Logs.LogRecordCount() != res.Accepted {
			t.Fatalf("%d accepted but %d in the output", res.Accepted, res.Logs.LogRecordCount())
		}
		for _, rl := range res.Logs.ResourceLogs().All() {
			if _, ok := rl.Resource().Attributes().Get(schema.AttrVisitorID); !ok {
				t.Fatal("output resource without visitor id")
			}
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if lr.EventName() == "" || lr.ObservedTimestamp() == 0 {
						t.Fatal("accepted record lacks event name or receive time")
					}
					if v, ok := lr.Attributes().Get(schema.AttrEventID); !ok || v.Type() != pcommon.ValueTypeStr {
						t.Fatal("accepted record lacks an event id")
					}
					checkOutputRecord(t, enricher, sl.Scope(), lr)
				}
			}
			if n := attributeBytes(rl.Resource().Attributes()); n > enricher.Limits.MaxResourceBytes+64 {
				t.Fatalf("output resource of %d bytes", n)
			}
		}
		out, err := (&plog.ProtoMarshaler{}).MarshalLogs(res.Logs)
		if err != nil {
			t.Fatalf("output does not encode: %v", err)
		}
		if len(out) > 4*len(body)+4096+maxDerivedBytes*res.Accepted {
			t.Fatalf("a body of %d bytes became %d bytes of output", len(body), len(out))
		}
		if _, err := MarshalResponse(enc, res.RejectedCount(), strings.Join(res.Messages, "; ")); err != nil {
			t.Fatalf("response does not encode: %v", err)
		}
	})
}

// checkOutputRecord asserts what no accepted record may carry: a reserved
// event name or scope, a value over the limits, invalid UTF-8, or a
// measure that is not a finite number in range.
func checkOutputRecord(t *testing.T, e *Enricher, scope pcommon.InstrumentationScope, lr plog.LogRecord) {
	t.Helper()
	if schema.IsReservedEventName(lr.EventName()) || schema.IsReservedScope(scope.Name()) {
		t.Fatalf("reserved name accepted: event %q, scope %q", lr.EventName(), scope.Name())
	}
	if !utf8.ValidString(lr.EventName()) || !utf8.ValidString(scope.Name()) || !utf8.ValidString(scope.Version()) {
		t.Fatal("invalid UTF-8 accepted")
	}
	for k, v := range lr.Attributes().All() {
		if !utf8.ValidString(k) || (v.Type() == pcommon.ValueTypeStr && !utf8.ValidString(v.Str())) {
			t.Fatalf("invalid UTF-8 accepted in %q", k)
		}
		if v.Type() == pcommon.ValueTypeStr && len(v.Str()) > max(e.Limits.MaxValueLength, e.Limits.MaxUserAgentBytes) {
			t.Fatalf("attribute %q of %d bytes accepted", k, len(v.Str()))
		}
		if schema.IsSessionizerOwned(k) {
			t.Fatalf("client set the sessionizer's attribute %q", k)
		}
	}
	if msg := checkMeasures(lr.Attributes()); msg != "" {
		t.Fatalf("invalid measure accepted: %s", msg)
	}
}
