// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// withInnocent appends a page view of an innocent visitor to the attack, in
// the same request: whatever the attack does, that event must come out as
// it would alone.
func withInnocent(attack plog.Logs) plog.Logs {
	innocent := oneRecord(func(lr plog.LogRecord) {
		lr.Attributes().PutStr(schema.AttrEventID, "innocent")
		lr.Attributes().PutStr(schema.AttrURLFull, "https://www.example.com/innocent")
	})
	innocent.ResourceLogs().MoveAndAppendTo(attack.ResourceLogs())
	return attack
}

func innocentOut(t *testing.T, out plog.Logs) plog.LogRecord {
	t.Helper()
	for _, rl := range out.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if id, _ := lr.Attributes().Get(schema.AttrEventID); id.Str() == "innocent" {
					return lr
				}
			}
		}
	}
	t.Fatal("the innocent event is missing")
	return plog.LogRecord{}
}

// Each case is one attack a public client could send; the table checks
// that it is refused (or defused) with a clear message, and that the
// innocent event of the same request is accepted unchanged.
func TestHostileRequests(t *testing.T) {
	tests := []struct {
		name   string
		attack func() plog.Logs
		// refused is the message the attack's record is refused with; ""
		// when it is accepted, defused.
		refused string
		check   func(t *testing.T, out plog.Logs)
	}{
		{
			name: "client session.end",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) { lr.SetEventName(schema.EventSessionEnd) })
			},
			refused: `event name "session.end" is reserved`,
		},
		{
			name: "client session.start in the legacy attribute",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) {
					lr.SetEventName("")
					lr.Attributes().PutStr(schema.AttrEventNameLegacy, schema.EventSessionStart)
				})
			},
			refused: `event name "session.start" is reserved`,
		},
		{
			name: "the sessionizer's scope",
			attack: func() plog.Logs {
				ld := oneRecord(func(plog.LogRecord) {})
				ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().SetName(schema.SessionizeScope)
				return ld
			},
			refused: "scope name",
		},
		{
			name: "goal value NaN",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrGoalValue, "NaN") })
			},
			refused: "footfall.goal.value must be a finite number",
		},
		{
			name: "goal value negative",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrGoalValue, "-1e9") })
			},
			refused: "footfall.goal.value must be a finite number",
		},
		{
			name: "web vital infinite",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) { lr.Attributes().PutStr(schema.AttrWebVitalValue, "Inf") })
			},
			refused: "footfall.web_vital.value",
		},
		{
			name: "scroll depth over 100",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) { lr.Attributes().PutInt(schema.AttrEngagementScrollDepth, 1000) })
			},
			refused: "footfall.engagement.scroll_depth",
		},
		{
			name: "resource too large",
			attack: func() plog.Logs {
				ld := oneRecord(func(plog.LogRecord) {})
				res := ld.ResourceLogs().At(0).Resource().Attributes()
				for _, k := range []string{"a", "b", "c", "d", "e"} {
					res.PutStr(k, strings.Repeat("x", 60))
				}
				return ld
			},
			refused: "resource: attributes take",
		},
		{
			name: "resource with invalid UTF-8",
			attack: func() plog.Logs {
				ld := oneRecord(func(plog.LogRecord) {})
				ld.ResourceLogs().At(0).Resource().Attributes().PutStr("service.name", "\xff\xfe")
				return ld
			},
			refused: "resource: attribute \"service.name\" is not valid UTF-8",
		},
		{
			name: "scope version with invalid UTF-8",
			attack: func() plog.Logs {
				ld := oneRecord(func(plog.LogRecord) {})
				ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().SetVersion("1.\xff")
				return ld
			},
			refused: "scope name or version is not valid UTF-8",
		},
		{
			name: "a long attribute key",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) { lr.Attributes().PutStr(strings.Repeat("k", 600_000), "v") })
			},
			refused: "is longer than 40 bytes",
		},
		{
			name: "a long key nested in a map",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) {
					lr.Attributes().PutEmptyMap("props").PutStr(strings.Repeat("k", 41), "v")
				})
			},
			refused: `attribute "props": attribute key "kkkk`,
		},
		{
			name: "a long resource key",
			attack: func() plog.Logs {
				ld := oneRecord(func(plog.LogRecord) {})
				ld.ResourceLogs().At(0).Resource().Attributes().PutStr(strings.Repeat("r", 41), "v")
				return ld
			},
			refused: "resource: attribute key",
		},
		{
			name: "a long scope key",
			attack: func() plog.Logs {
				ld := oneRecord(func(plog.LogRecord) {})
				ld.ResourceLogs().At(0).ScopeLogs().At(0).Scope().Attributes().PutStr(strings.Repeat("s", 41), "v")
				return ld
			},
			refused: "scope: attribute key",
		},
		{
			name: "values each in bounds, over the event's budget",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) {
					for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
						lr.Attributes().PutStr(k, strings.Repeat("x", 64))
					}
				})
			},
			refused: "more than the limit of 400",
		},
		{
			name: "the sessionizer's attributes are removed",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) {
					lr.Attributes().PutInt(schema.AttrSessionSeq, 1)
					lr.Attributes().PutBool(schema.AttrEventLate, true)
					lr.Attributes().PutStr(schema.AttrSessionEndReason, "pwned")
				})
			},
			check: func(t *testing.T, out plog.Logs) {
				for _, rl := range out.ResourceLogs().All() {
					for _, sl := range rl.ScopeLogs().All() {
						for _, lr := range sl.LogRecords().All() {
							for _, k := range schema.SessionizerOwned {
								_, has := lr.Attributes().Get(k)
								assert.False(t, has, k)
							}
						}
					}
				}
			},
		},
		{
			name: "query string with a token and an e-mail",
			attack: func() plog.Logs {
				return oneRecord(func(lr plog.LogRecord) {
					lr.Attributes().PutStr(schema.AttrURLFull, "https://www.example.com/r?t=1&e=a%40b.c&utm_source=m#f")
					lr.Attributes().PutStr(schema.AttrReferrer, "https://mail.example.net/in?id=42&u=ann")
				})
			},
			check: func(t *testing.T, out plog.Logs) {
				lr := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
				full, _ := lr.Attributes().Get(schema.AttrURLFull)
				ref, _ := lr.Attributes().Get(schema.AttrReferrer)
				assert.Equal(t, "https://www.example.com/r?utm_source=m", full.Str())
				assert.Equal(t, "https://mail.example.net/in", ref.Str())
				src, _ := lr.Attributes().Get(schema.AttrUTMSource)
				assert.Equal(t, "m", src.Str(), "the campaign is still read")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnricher(t)
			res := e.Enrich(context.Background(), testRequest, withInnocent(tt.attack()))
			innocent := innocentOut(t, res.Logs)
			path, _ := innocent.Attributes().Get(schema.AttrURLPath)
			assert.Equal(t, "/innocent", path.Str())
			if tt.refused != "" {
				assert.Equal(t, 1, res.Accepted, "only the innocent event")
				assert.Equal(t, 1, res.Rejected[ReasonInvalidEvent])
				require.Len(t, res.Messages, 1)
				assert.Contains(t, res.Messages[0], tt.refused)
			} else {
				assert.Equal(t, 2, res.Accepted)
			}
			if tt.check != nil {
				tt.check(t, res.Logs)
			}
		})
	}
}

// A User-Agent of a megabyte is cut before it is parsed or hashed, and is
// not stored unless configured; stored, it is at most 512 bytes.
func TestLongUserAgentIsCapped(t *testing.T) {
	huge := chromeUA + strings.Repeat("é", 500_000)
	req := testRequest
	req.UserAgent = huge
	for _, store := range []bool{false, true} {
		e := newTestEnricher(t)
		e.StoreUserAgent = store
		res := e.Enrich(context.Background(), req, oneRecord(func(plog.LogRecord) {}))
		require.Equal(t, 1, res.Accepted)
		attrs := res.Logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
		ua, has := attrs.Get(schema.AttrUserAgentOriginal)
		assert.Equal(t, store, has)
		if has {
			assert.LessOrEqual(t, len(ua.Str()), 512)
			assert.True(t, strings.HasPrefix(ua.Str(), chromeUA))
		}
		name, _ := attrs.Get(schema.AttrUserAgentName)
		assert.Equal(t, "Chrome", name.Str(), "still parsed")
	}
}

// A request at the size limit cannot grow into much more downstream: the
// resource and scope are bounded, and the User-Agent is not copied onto
// every event.
func TestOutputIsBoundedByTheInput(t *testing.T) {
	e := newTestEnricher(t)
	site, ok := e.Sites.Lookup("example")
	require.True(t, ok)
	site.ClientVisitorID = true // every event its own visitor: the most groups
	req := testRequest
	req.UserAgent = chromeUA + strings.Repeat("x", 900_000)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "example")
	rl.Resource().Attributes().PutStr("service.name", strings.Repeat("s", 60))
	rl.Resource().Attributes().PutStr("service.version", strings.Repeat("v", 60))
	for i := range 100 {
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.Attributes().PutStr(schema.AttrURLFull, "https://www.example.com/p")
		lr.Attributes().PutStr(schema.AttrAnonymousID, fmt.Sprint("visitor-", i))
	}
	in, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	res := e.Enrich(context.Background(), req, ld)
	require.Equal(t, 100, res.Accepted)
	require.Equal(t, 100, res.Logs.ResourceLogs().Len(), "one group per visitor")
	out, err := (&plog.ProtoMarshaler{}).MarshalLogs(res.Logs)
	require.NoError(t, err)
	// Each event gains at most the derived attributes (browser, device, geo,
	// path, ids: a few hundred bytes); nothing grows with the User-Agent.
	assert.Less(t, len(out), 4*len(in)+maxDerivedBytes*res.Accepted, "%d bytes in, %d out", len(in), len(out))
}

// maxDerivedBytes bounds what the receiver adds to one event.
const maxDerivedBytes = 600

// A refusal quotes what it refuses, cut short: a site id, an origin or a
// key of 900 KB gives a message of a few dozen bytes.
func TestRefusalsQuoteShort(t *testing.T) {
	long := strings.Repeat("<", 900_000)
	e := newTestEnricher(t)
	unnamed := oneRecord(func(plog.LogRecord) {})
	unnamed.ResourceLogs().At(0).Resource().Attributes().Clear()
	hinted := testRequest
	hinted.SiteHint = long
	fromLongOrigin := testRequest
	fromLongOrigin.Origin = "https://" + long
	for name, attack := range map[string]struct {
		req    Request
		ld     plog.Logs
		length string
	}{
		"site id": {hinted, unnamed, "(900000 bytes)"},
		"origin":  {fromLongOrigin, oneRecord(func(plog.LogRecord) {}), "(900008 bytes)"},
		"key":     {testRequest, oneRecord(func(lr plog.LogRecord) { lr.Attributes().PutStr(long, "v") }), "(900000 bytes)"},
	} {
		res := e.Enrich(context.Background(), attack.req, attack.ld)
		require.Equal(t, 0, res.Accepted, name)
		require.Len(t, res.Messages, 1, name)
		assert.Less(t, len(res.Messages[0]), 300, "%s: %s", name, res.Messages[0])
		assert.Contains(t, res.Messages[0], attack.length, name)
	}
}
