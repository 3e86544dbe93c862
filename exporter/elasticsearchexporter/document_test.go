// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/jsonwriter"
	"github.com/footfall-analytics/footfall/internal/schema"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the golden input and expected documents")

// enrichedStream is what the exporter receives after the sessionizer: a page
// view with everything the receiver adds, a custom goal with a custom
// property, an outbound click, an engagement summary, a session.start (not
// stored) and a session.end.
func enrichedStream() plog.Logs {
	ld := visit("9f86d081884c7d65", 1)
	rl := ld.ResourceLogs().At(0)
	rl.Resource().Attributes().PutStr(schema.AttrVisitorIDSource, "hashed")
	records := rl.ScopeLogs().At(0).LogRecords()
	pv := records.At(1)
	a := pv.Attributes()
	a.PutStr(schema.AttrURLFull, "https://shop.example/p0?utm_source=newsletter")
	a.PutStr(schema.AttrURLDomain, "shop.example")
	a.PutStr(schema.AttrUserAgentOriginal, "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
	a.PutStr(schema.AttrUserAgentName, "Firefox")
	a.PutStr(schema.AttrUserAgentVersion, "133.0")
	a.PutStr(schema.AttrUserAgentOSName, "Linux")
	a.PutStr(schema.AttrDeviceType, "desktop")
	a.PutStr(schema.AttrGeoCountry, "DE")
	a.PutStr(schema.AttrGeoRegion, "DE-BE")
	a.PutStr(schema.AttrGeoCity, "Berlin")
	a.PutStr(schema.AttrReferrer, "https://www.google.com/")
	a.PutStr(schema.AttrReferrerClass, "search")
	a.PutStr(schema.AttrReferrerSource, "Google")
	a.PutStr(schema.AttrReferrerHost, "google.com")
	a.PutStr(schema.AttrUTMSource, "newsletter")
	a.PutStr(schema.AttrIngestFormat, "otlp")
	goal := records.AppendEmpty()
	goal.SetEventName("signup")
	goal.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Minute)))
	g := goal.Attributes()
	g.PutStr(schema.AttrEventID, "9f86d081884c7d65-goal")
	g.PutStr(schema.AttrSessionID, "s-9f86d081884c7d65")
	g.PutInt(schema.AttrSessionSeq, 2)
	g.PutDouble(schema.AttrGoalValue, 49.9)
	g.PutStr(schema.AttrGoalCurrency, "EUR")
	g.PutStr("plan", "pro")
	g.PutBool(schema.AttrEventInteractive, false) // the schema's, with no field: not a property
	g.PutBool(schema.AttrEventLate, true)
	click := records.AppendEmpty()
	click.SetEventName(schema.EventClick)
	click.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(90 * time.Second)))
	c := click.Attributes()
	c.PutStr(schema.AttrEventID, "9f86d081884c7d65-click")
	c.PutStr(schema.AttrSessionID, "s-9f86d081884c7d65")
	c.PutInt(schema.AttrSessionSeq, 3)
	c.PutStr(schema.AttrClickElement, "outbound")
	c.PutStr(schema.AttrLinkURL, "https://opentelemetry.io/")
	engagement := records.AppendEmpty()
	engagement.SetEventName(schema.EventEngagement)
	engagement.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(95 * time.Second)))
	e := engagement.Attributes()
	e.PutStr(schema.AttrEventID, "9f86d081884c7d65-engagement")
	e.PutStr(schema.AttrSessionID, "s-9f86d081884c7d65")
	e.PutInt(schema.AttrSessionSeq, 4)
	e.PutInt(schema.AttrEngagementTimeMs, 41250)
	e.PutInt(schema.AttrEngagementScrollDepth, 85)
	records.At(2).Attributes().PutEmptyMap(schema.AttrSessionRevenue).PutDouble("EUR", 49.9)
	records.At(2).MoveTo(records.AppendEmpty()) // session.end last
	records.RemoveIf(func(lr plog.LogRecord) bool { return lr.EventName() == "" && lr.Attributes().Len() == 0 })
	return ld
}

// The document mapping, as golden files: the input stream and the NDJSON of
// the documents it becomes (one per line, with the data stream and _id).
func TestDocumentMapping(t *testing.T) {
	dir := filepath.Join("testdata", "documents")
	inputPath, expectedPath := filepath.Join(dir, "input.yaml"), filepath.Join(dir, "expected.ndjson")
	built := enrichedStream()
	if *updateGolden {
		require.NoError(t, os.MkdirAll(dir, 0o750))
		require.NoError(t, golden.WriteLogsToFile(inputPath, built))
	}
	input, err := golden.ReadLogs(inputPath)
	require.NoError(t, err)
	require.NoError(t, plogtest.CompareLogs(built, input), "the golden input is out of date: run with -update-golden")

	var got bytes.Buffer
	cfg := createDefaultConfig().(*Config)
	for _, rl := range input.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				doc, kind, id, skipped := encodeOne(trusted(), rl.Resource().Attributes(), lr)
				if skipped != "" {
					assert.Equal(t, skippedSessionStart, skipped)
					continue
				}
				index := cfg.EventsIndex
				if kind == sessionDoc {
					index = cfg.SessionsIndex
				}
				// As json.Marshal writes {"_index", "_id", "doc"}: keys sorted.
				got.WriteString(`{"_id":`)
				got.Write(jsonwriter.AppendString(nil, id))
				got.WriteString(`,"_index":`)
				got.Write(jsonwriter.AppendString(nil, index))
				got.WriteString(`,"doc":`)
				got.Write(doc)
				got.WriteString("}\n")
			}
		}
	}
	if *updateGolden {
		require.NoError(t, os.WriteFile(expectedPath, got.Bytes(), 0o600))
	}
	want, err := os.ReadFile(expectedPath)
	require.NoError(t, err)
	assert.Equal(t, string(want), got.String())
}

// With dynamic mapping off, a field the templates do not map would be kept
// but not searchable: every field of every document must be mapped.
func TestEveryDocumentFieldIsMapped(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	templates := cfg.templates()
	mappingsOf := map[kind]map[string]any{
		eventDoc:   templates["footfall-events"]["template"].(map[string]any)["mappings"].(map[string]any),
		sessionDoc: templates["footfall-sessions"]["template"].(map[string]any)["mappings"].(map[string]any),
	}
	input := enrichedStream()
	checked := 0
	for _, rl := range input.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				raw, kind, _, skipped := encodeOne(trusted(), rl.Resource().Attributes(), lr)
				if skipped != "" {
					continue
				}
				var sent map[string]any
				require.NoError(t, json.Unmarshal(raw, &sent))
				checked += assertMapped(t, sent, mappingsOf[kind], "")
			}
		}
	}
	assert.Greater(t, checked, 40)
}

func assertMapped(t *testing.T, fields map[string]any, mapping map[string]any, prefix string) int {
	t.Helper()
	props, _ := mapping["properties"].(map[string]any)
	n := 0
	for name, value := range fields {
		path := prefix + name
		m, ok := props[name].(map[string]any)
		if !assert.True(t, ok, "field %s has no mapping", path) {
			continue
		}
		n++
		if sub, isObject := value.(map[string]any); isObject && m["type"] != "flattened" {
			n += assertMapped(t, sub, m, path+".")
		}
	}
	return n
}

// A bot's event kept by bots: flag says why in footfall.bot_reason, a field
// of its own (not a custom property).
func TestBotReasonIsAField(t *testing.T) {
	ld := visit("9f86d081884c7d65", 1)
	rl := ld.ResourceLogs().At(0)
	lr := rl.ScopeLogs().At(0).LogRecords().At(1)
	lr.Attributes().PutStr(schema.AttrUserAgentSynthetic, schema.SyntheticBot)
	lr.Attributes().PutStr(schema.AttrBotReason, schema.BotReasonReloads)
	raw, _, _, reason := encodeOne(trusted(), rl.Resource().Attributes(), lr)
	require.Empty(t, reason)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	ff := doc["footfall"].(map[string]any)
	assert.Equal(t, schema.BotReasonReloads, ff["bot_reason"])
	assert.NotContains(t, ff, "properties", "no custom property holds it")
	assert.Equal(t, map[string]any{"type": "bot"}, doc["user_agent"].(map[string]any)["synthetic"])
}

// trusted is the sessionize processor's scope, under which its session
// records are stored.
func trusted() pcommon.InstrumentationScope {
	scope := pcommon.NewInstrumentationScope()
	scope.SetName(schema.SessionizeScope)
	return scope
}

// encodeOne is one record's document alone.
func encodeOne(scope pcommon.InstrumentationScope, res pcommon.Map, lr plog.LogRecord) ([]byte, kind, string, string) {
	var w jsonwriter.Writer
	var f fields
	k, id, reason := encodeDocument(&w, &f, scope, res, lr)
	return w.Buf, k, id, reason
}

// The streaming encoder writes, byte for byte, what the reference mapping
// (maps and encoding/json, document_reference_test.go) writes: for the
// golden stream, and for values that need escaping or are of every type.
func TestEncoderMatchesTheReference(t *testing.T) {
	ld := enrichedStream()
	extra := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Attributes()
	extra.PutStr(schema.AttrURLPath, "/a\"b<c>&d\u2028\x01\xff\u00e9")
	extra.PutDouble("tiny", 1e-9)
	extra.PutDouble("huge", 1e22)
	extra.PutInt("count", -3)
	extra.PutEmptyBytes("blob").FromRaw([]byte{0, 1, 2})
	list := extra.PutEmptySlice("list")
	list.AppendEmpty().SetStr("x")
	list.AppendEmpty().SetBool(false)
	m := extra.PutEmptyMap("nested")
	m.PutStr("z", "1")
	m.PutStr("a", "2")
	m.PutEmpty("none")
	extra.PutInt(schema.AttrSessionPageViews, 7) // a property of an event
	compared := 0
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				compared += assertMatchesReference(t, rl.Resource().Attributes(), lr)
			}
		}
	}
	assert.Equal(t, 5, compared)
}

func assertMatchesReference(t *testing.T, res pcommon.Map, lr plog.LogRecord) int {
	t.Helper()
	got, gotKind, gotID, gotReason := encodeOne(trusted(), res, lr)
	doc, reason := referenceDocument(res, lr)
	var want []byte
	if reason == "" {
		var err error
		if want, err = json.Marshal(doc.body); err != nil {
			reason = skippedUnencodable
		}
	}
	require.Equal(t, reason, gotReason)
	if reason != "" {
		return 0
	}
	require.Equal(t, string(want), string(got))
	assert.Equal(t, doc.kind, gotKind)
	assert.Equal(t, doc.id, gotID)
	return 1
}
