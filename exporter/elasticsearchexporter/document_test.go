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
				doc, skipped := toDocument(rl.Resource().Attributes(), lr)
				if skipped != "" {
					assert.Equal(t, skippedSessionStart, skipped)
					continue
				}
				index := cfg.EventsIndex
				if doc.kind == sessionDoc {
					index = cfg.SessionsIndex
				}
				line, err := json.Marshal(map[string]any{"_index": index, "_id": doc.id, "doc": doc.body})
				require.NoError(t, err)
				got.Write(line)
				got.WriteByte('\n')
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
				doc, skipped := toDocument(rl.Resource().Attributes(), lr)
				if skipped != "" {
					continue
				}
				// What Elasticsearch receives: the JSON, not the Go values.
				raw, err := json.Marshal(doc.body)
				require.NoError(t, err)
				var sent map[string]any
				require.NoError(t, json.Unmarshal(raw, &sent))
				checked += assertMapped(t, sent, mappingsOf[doc.kind], "")
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
	doc, reason := toDocument(rl.Resource().Attributes(), lr)
	require.Empty(t, reason)
	ff := doc.body["footfall"].(object)
	assert.Equal(t, schema.BotReasonReloads, ff["bot_reason"])
	assert.NotContains(t, ff, "properties", "no custom property holds it")
	assert.Equal(t, object{"type": "bot"}, doc.body["user_agent"].(object)["synthetic"])
}
