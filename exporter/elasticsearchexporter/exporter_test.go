// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/estest"
	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/metadatatest"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
)

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

const (
	eventsIndex   = "logs-footfall.events-default"
	sessionsIndex = "logs-footfall.sessions-default"
	deadIndex     = "logs-footfall.deadletter-default"
)

type harness struct {
	server    *estest.Server
	exporter  exporter.Logs
	telemetry *componenttest.Telemetry
}

// start runs the exporter as the collector would, with quick retries; with
// ext set, its sending queue is persistent in that storage extension.
func start(t *testing.T, server *estest.Server, ext component.Component, configure ...func(*Config)) *harness {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{server.URL}
	cfg.Retry.InitialInterval = 5 * time.Millisecond
	cfg.Retry.MaxInterval = 20 * time.Millisecond
	cfg.Retry.MaxElapsedTime = 0
	cfg.QueueBatchConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	host := storagetest.Host{Extensions: map[component.ID]component.Component{}}
	if ext != nil {
		id := component.MustNewID("file_storage")
		q := exporterhelper.NewDefaultQueueConfig()
		q.StorageID = &id
		cfg.QueueBatchConfig = configoptional.Some(q)
		host.Extensions[id] = ext
	}
	for _, c := range configure {
		c(cfg)
	}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	return &harness{server: server, exporter: exp, telemetry: tel}
}

func newServer(t *testing.T) *estest.Server {
	s := estest.NewServer()
	t.Cleanup(func() {
		s.Close()
		assert.Empty(t, s.Problems(), "requests the test server found wrong")
	})
	return s
}

// visit is one visitor's sessionized events: page views, a session.start
// and a session.end.
func visit(visitor string, pages int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, visitor)
	// As the sessionize processor emits them: its session records under its
	// scope.
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(schema.SessionizeScope)
	records := sl.LogRecords()
	sid := "s-" + visitor
	start := records.AppendEmpty()
	start.SetEventName(schema.EventSessionStart)
	start.Attributes().PutStr(schema.AttrSessionID, sid)
	for i := range pages {
		lr := records.AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Minute)))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i)*time.Minute + time.Second)))
		lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprintf("%s-e%d", visitor, i))
		lr.Attributes().PutStr(schema.AttrURLPath, fmt.Sprintf("/p%d", i))
		lr.Attributes().PutStr(schema.AttrSessionID, sid)
		lr.Attributes().PutInt(schema.AttrSessionSeq, int64(i+1))
	}
	end := records.AppendEmpty()
	end.SetEventName(schema.EventSessionEnd)
	end.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(pages-1) * time.Minute)))
	a := end.Attributes()
	a.PutStr(schema.AttrEventID, sid+".end")
	a.PutStr(schema.AttrSessionID, sid)
	a.PutInt(schema.AttrSessionStartTime, t0.UnixNano())
	a.PutInt(schema.AttrSessionEndTime, t0.Add(time.Duration(pages-1)*time.Minute).UnixNano())
	a.PutInt(schema.AttrSessionPageViews, int64(pages))
	a.PutBool(schema.AttrSessionBounce, pages == 1)
	a.PutStr(schema.AttrSessionEndReason, "idle")
	return ld
}

func docs(ld plog.Logs, more ...plog.Logs) plog.Logs {
	out := plog.NewLogs()
	for _, l := range append([]plog.Logs{ld}, more...) {
		for _, rl := range l.ResourceLogs().All() {
			rl.CopyTo(out.ResourceLogs().AppendEmpty())
		}
	}
	return out
}

func TestStoresEventsAndSessionsOnceAcrossRetriesAndReplays(t *testing.T) {
	server := newServer(t)
	h := start(t, server, nil)
	batch := docs(visit("a", 3), visit("b", 1))
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), batch))
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), batch), "a replay answers 409 per document: already stored")

	assert.Len(t, server.Docs(eventsIndex), 4)
	assert.Len(t, server.Docs(sessionsIndex), 2)
	assert.Empty(t, server.Docs(deadIndex))
	session := server.Docs(sessionsIndex)["shop:s-a"]
	assert.Equal(t, "2026-11-27T10:00:00Z", session["@timestamp"])
	assert.Equal(t, "idle", session["session"].(map[string]any)["end_reason"])
	assert.Equal(t, map[string]int64{
		"duplicate/version_conflict_engine_exception": 6,
		"skipped/" + skippedSessionStart:              4,
		"stored/":                                     6,
	}, documentCounts(t, h.telemetry))
}

// documentCounts reads exporter_elasticsearch_documents as "outcome/reason" -> count.
func documentCounts(t *testing.T, tel *componenttest.Telemetry) map[string]int64 {
	t.Helper()
	m, err := tel.GetMetric("otelcol_exporter_elasticsearch_documents")
	require.NoError(t, err)
	out := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		o, _ := dp.Attributes.Value("outcome")
		r, _ := dp.Attributes.Value("reason")
		out[o.AsString()+"/"+r.AsString()] = dp.Value
	}
	return out
}

// Documents answered 429 or 503 are sent again, alone, until stored.
func TestItemsAnswered429Or503AreRetriedUntilStored(t *testing.T) {
	server := newServer(t)
	server.ItemFault = func(_, id string, attempt int) estest.Fault {
		switch {
		case id == "shop:a-e1" && attempt <= 2:
			return estest.Fault{Status: http.StatusTooManyRequests, Type: "es_rejected_execution_exception"}
		case id == "shop:s-a" && attempt == 1:
			return estest.Fault{Status: http.StatusServiceUnavailable, Type: "unavailable_shards_exception"}
		}
		return estest.Fault{}
	}
	h := start(t, server, nil)
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), visit("a", 3)))
	assert.Len(t, server.Docs(eventsIndex), 3, "every document exactly once")
	assert.Len(t, server.Docs(sessionsIndex), 1)
	assert.Equal(t, 3, server.BulkRequests(), "two retries")
	assert.Equal(t, 4+2+1, server.BulkItems(), "each retry resends only the documents that failed")
}

func TestMappingErrorsGoToTheDeadLetterStream(t *testing.T) {
	server := newServer(t)
	server.ItemFault = func(_, id string, _ int) estest.Fault {
		if id == "shop:a-e0" {
			return estest.Fault{Status: http.StatusBadRequest, Type: "mapper_parsing_exception"}
		}
		return estest.Fault{}
	}
	h := start(t, server, nil)
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), visit("a", 2)), "dead-lettered counts as handled")
	assert.Len(t, server.Docs(eventsIndex), 1)
	dead := server.Docs(deadIndex)
	require.Len(t, dead, 1)
	letter := dead[eventsIndex+":shop:a-e0"]
	require.NotNil(t, letter)
	assert.Equal(t, "mapper_parsing_exception", letter["error"].(map[string]any)["type"])
	assert.Contains(t, letter["footfall"].(map[string]any)["dead_letter"].(map[string]any)["document"], `"a-e0"`)

	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), visit("a", 2)), "a replay finds the dead letter stored")
	assert.Len(t, server.Docs(deadIndex), 1)
	counts := documentCounts(t, h.telemetry)
	assert.Equal(t, int64(2), counts["dead_lettered/mapper_parsing_exception"])
}

// A dead letter answered 429 brings its document back: sent again, refused
// again, and dead-lettered then.
func TestADeadLetterToRetryResendsItsDocument(t *testing.T) {
	server := newServer(t)
	server.ItemFault = func(index, id string, attempt int) estest.Fault {
		switch {
		case id == "shop:a-e0":
			return estest.Fault{Status: http.StatusBadRequest, Type: "mapper_parsing_exception"}
		case index == deadIndex && attempt == 1:
			return estest.Fault{Status: http.StatusTooManyRequests, Type: "es_rejected_execution_exception"}
		}
		return estest.Fault{}
	}
	h := start(t, server, nil)
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), visit("a", 2)))
	assert.Len(t, server.Docs(eventsIndex), 1)
	assert.Len(t, server.Docs(deadIndex), 1)
	// 3 documents; the dead letter (429); the document alone, then its
	// dead letter.
	assert.Equal(t, 3+1+1+1, server.BulkItems())
	assert.Equal(t, int64(1), documentCounts(t, h.telemetry)["dead_lettered/mapper_parsing_exception"])
}

func TestWholeRequest429IsRetriedAnd413IsSplit(t *testing.T) {
	server := newServer(t)
	rejected := 0
	server.RequestFault = func(items int) int {
		switch {
		case rejected < 2:
			rejected++
			return http.StatusTooManyRequests
		case items > 2:
			return http.StatusRequestEntityTooLarge
		}
		return 0
	}
	h := start(t, server, nil)
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), docs(visit("a", 4), visit("b", 3))))
	assert.Len(t, server.Docs(eventsIndex), 7)
	assert.Len(t, server.Docs(sessionsIndex), 2)
}

// Elasticsearch down for a while: the persistent queue keeps the batches
// (ConsumeLogs answers once they are on disk), and everything is stored
// when it is back.
func TestEverythingIsStoredAfterAnOutage(t *testing.T) {
	server := newServer(t)
	var down atomic.Bool
	down.Store(true)
	server.RequestFault = func(int) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return 0
	}
	h := start(t, server, storagetest.NewExtension(), func(cfg *Config) { cfg.Templates.Install = false })
	for i := range 5 {
		require.NoError(t, h.exporter.ConsumeLogs(context.Background(), visit(fmt.Sprintf("v%d", i), 2)))
	}
	require.Eventually(t, func() bool { return server.BulkRequests() >= 3 }, 10*time.Second, time.Millisecond, "the queue keeps trying")
	assert.Empty(t, server.Docs(eventsIndex))
	down.Store(false)
	require.Eventually(t, func() bool { return len(server.Docs(eventsIndex)) == 10 && len(server.Docs(sessionsIndex)) == 5 },
		10*time.Second, 10*time.Millisecond)
}

func TestTemplatesAndPolicyAreInstalled(t *testing.T) {
	server := newServer(t)
	start(t, server, nil, func(cfg *Config) { cfg.Templates.RetentionDays = 90 })
	policy := server.Policy("footfall")
	require.NotNil(t, policy)
	assert.Equal(t, "90d", policy["policy"].(map[string]any)["phases"].(map[string]any)["delete"].(map[string]any)["min_age"])
	for name, pattern := range map[string]string{
		"footfall-events": "logs-footfall.events-*", "footfall-sessions": "logs-footfall.sessions-*", "footfall-deadletter": "logs-footfall.deadletter-*",
	} {
		tpl := server.Template(name)
		require.NotNil(t, tpl, name)
		assert.Equal(t, []any{pattern}, tpl["index_patterns"])
		settings := tpl["template"].(map[string]any)["settings"].(map[string]any)
		assert.Equal(t, "footfall", settings["index.lifecycle.name"])
		assert.Equal(t, true, settings["index.mapping.ignore_malformed"], "one bad value does not dead-letter its event")
	}
}

// The API key and the configured headers reach Elasticsearch (the HTTP
// client is confighttp's: headers, TLS, compression, authenticators).
func TestCredentialsAndHeadersReachElasticsearch(t *testing.T) {
	server := newServer(t)
	h := start(t, server, nil, func(cfg *Config) {
		cfg.Authentication.APIKey = "a-key"
		cfg.Headers = configopaque.MapList{{Name: "X-Tenant", Value: "shop"}}
	})
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), visit("a", 1)))
	header := server.LastHeader()
	assert.Equal(t, "APIKey a-key", header.Get("Authorization"), "as the official client sends it")
	assert.Equal(t, "shop", header.Get("X-Tenant"))
}

// Credentials left empty (an unset FOOTFALL_ES_API_KEY) are said at start.
func TestEmptyCredentialsWarn(t *testing.T) {
	for _, tt := range []struct {
		name string
		auth AuthenticationConfig
		warn bool
	}{
		{name: "none", warn: true},
		{name: "api key", auth: AuthenticationConfig{APIKey: "a-key"}},
		{name: "user", auth: AuthenticationConfig{User: "footfall", Password: "secret"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.WarnLevel)
			cfg := createDefaultConfig().(*Config)
			cfg.Endpoints = []string{"http://127.0.0.1:1"}
			cfg.Templates.Install = false
			cfg.Authentication = tt.auth
			set := exportertest.NewNopSettings(metadata.Type)
			set.Logger = zap.New(core)
			e, err := newExporter(cfg, set)
			require.NoError(t, err)
			require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
			warned := logs.FilterMessageSnippet("without authentication").Len() == 1
			assert.Equal(t, tt.warn, warned)
		})
	}
}

// Two sites' events and sessions with equal ids are two documents: a
// client of one site cannot take another's _id with an id it chose.
func TestEqualIDsOfTwoSitesAreTwoDocuments(t *testing.T) {
	server := newServer(t)
	h := start(t, server, nil)
	shop := visit("a", 1)
	blog := visit("a", 1)
	blog.ResourceLogs().At(0).Resource().Attributes().PutStr(schema.AttrSiteID, "blog")
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), docs(shop, blog)))
	assert.Len(t, server.Docs(eventsIndex), 2)
	assert.Len(t, server.Docs(sessionsIndex), 2)
	assert.Contains(t, server.Docs(eventsIndex), "blog:a-e0")
}

// The log says why Elasticsearch refused a document, without the value
// preview it appends (a visitor's data) and within a bound.
func TestLoggedReasonsLeaveValuesOut(t *testing.T) {
	reason := "failed to parse field [footfall.properties.email] of type [long] in document with id 'shop:a-e0'. Preview of field's value: 'alice@example.com'"
	got := logSafe(reason)
	assert.NotContains(t, got, "alice@example.com")
	assert.Equal(t, "failed to parse field [footfall.properties.email] of type [long] in document with id 'shop:a-e0'. (value preview left out)", got)
	assert.LessOrEqual(t, len(logSafe(strings.Repeat("é", 1000))), maxLoggedReason)
}

// A session.end not under the sessionize processor's scope is forged (a
// client named its event so): it is not stored, and counted.
func TestForgedSessionRecordsAreNotStored(t *testing.T) {
	server := newServer(t)
	h := start(t, server, nil)
	ld := visit("a", 1)
	sl := ld.ResourceLogs().At(0).ScopeLogs().At(0)
	sl.Scope().SetName("a-client")
	require.NoError(t, h.exporter.ConsumeLogs(context.Background(), ld))
	assert.Len(t, server.Docs(eventsIndex), 1, "the page view is stored")
	assert.Empty(t, server.Docs(sessionsIndex))
	counts := documentCounts(t, h.telemetry)
	assert.Equal(t, int64(2), counts["skipped/untrusted_session"], "its session.start and session.end")
}
