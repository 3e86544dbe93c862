// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/metadatatest"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/rows"
	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/store"
	"github.com/footfall-analytics/footfall/internal/schema"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the expected rows from the current code")

var t0 = time.Date(2026, 3, 14, 9, 59, 30, 0, time.UTC)

// stream is a small sessionized stream: two sites, a page view with
// attribution and a property, a goal with a value, a web vital, an
// engagement summary, a session.start (not archived), a session.end, and
// a record without a site (skipped).
func stream() plog.Logs {
	ld := plog.NewLogs()
	visitor := func(site, id string) plog.LogRecordSlice {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, site)
		rl.Resource().Attributes().PutStr(schema.AttrVisitorID, id)
		return rl.ScopeLogs().AppendEmpty().LogRecords()
	}
	event := func(records plog.LogRecordSlice, name, id string, at time.Duration, kv ...any) {
		lr := records.AppendEmpty()
		lr.SetEventName(name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(at)))
		lr.Attributes().PutStr(schema.AttrEventID, id)
		lr.Attributes().PutStr(schema.AttrSessionID, "s-"+id[:1])
		for i := 0; i+1 < len(kv); i += 2 {
			_ = lr.Attributes().PutEmpty(kv[i].(string)).FromRaw(kv[i+1])
		}
	}
	shop := visitor("shop", "a1")
	event(shop, schema.EventPageView, "a-pv", 0, schema.AttrURLPath, "/pricing", schema.AttrURLDomain, "shop.example",
		schema.AttrReferrerClass, "search", schema.AttrReferrerSource, "Google", schema.AttrUTMSource, "newsletter",
		schema.AttrGeoCountry, "DE", schema.AttrDeviceType, "desktop", schema.AttrUserAgentName, "Firefox", schema.AttrIngestFormat, "otlp", "author", "Ada")
	event(shop, "signup", "a-goal", time.Minute, schema.AttrGoalValue, 49.9, schema.AttrGoalCurrency, "eur", "plan", "pro")
	event(shop, schema.EventWebVital, "a-vital", time.Minute, schema.AttrWebVitalName, "LCP", schema.AttrWebVitalValue, 1800.0)
	event(shop, schema.EventEngagement, "a-engaged", 2*time.Minute, schema.AttrEngagementTimeMs, int64(42000), schema.AttrEngagementScrollDepth, 85.0)
	blog := visitor("blog", "b1")
	event(blog, schema.EventPageView, "b-pv", 0, schema.AttrURLPath, "/")

	sessions := ld.ResourceLogs().AppendEmpty()
	sessions.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	sessions.Resource().Attributes().PutStr(schema.AttrVisitorID, "a1")
	sl := sessions.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(schema.SessionizeScope)
	start := sl.LogRecords().AppendEmpty()
	start.SetEventName(schema.EventSessionStart)
	end := sl.LogRecords().AppendEmpty()
	end.SetEventName(schema.EventSessionEnd)
	_ = end.Attributes().FromRaw(map[string]any{
		schema.AttrSessionID: "s-a", schema.AttrSessionStartTime: t0.UnixNano(), schema.AttrSessionEndTime: t0.Add(2 * time.Minute).UnixNano(),
		schema.AttrSessionDurationMs: int64(120000), schema.AttrSessionPageViews: int64(1), schema.AttrSessionEvents: int64(4),
		schema.AttrSessionBounce: false, schema.AttrSessionReturning: true, schema.AttrSessionEntryPage: "/pricing", schema.AttrSessionExitPage: "/pricing",
		schema.AttrSessionEndReason: "idle", schema.AttrReferrerClass: "search", schema.AttrReferrerSource: "Google",
		schema.AttrSessionGoals: []any{"signup"}, schema.AttrSessionRevenue: map[string]any{"EUR": 49.9},
	})
	orphan := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	orphan.SetEventName(schema.EventPageView)
	return ld
}

type testExporter struct {
	*archiveExporter
	tel *componenttest.Telemetry
}

func startDirExporter(t testing.TB, mutate func(*Config)) (testExporter, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = dir
	if mutate != nil {
		mutate(cfg)
	}
	return startExporter(t, cfg), dir
}

// startExporter starts an exporter on cfg with telemetry to read back.
func startExporter(t testing.TB, cfg *Config) testExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	e, err := newArchiveExporter(cfg, metadatatest.NewSettings(tel))
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return testExporter{e, tel}
}

// files lists the visible files under dir, relative and slash-separated.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		out = append(out, filepath.ToSlash(rel))
		return err
	}))
	return out
}

func readFile[T any](t *testing.T, path string) []T {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return readBytes[T](t, data)
}

func readBytes[T any](t *testing.T, data []byte) []T {
	t.Helper()
	got, err := parquet.Read[T](bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	version, ok := f.Lookup("footfall.archive.schema_version")
	require.True(t, ok)
	assert.Equal(t, rows.SchemaVersion, version)
	return got
}

// The stream lands in Hive-style partitions, and the rows read back from
// the Parquet files are the golden rows: the column schema's one fact.
func TestSchemaAndLayout(t *testing.T) {
	e, dir := startDirExporter(t, nil)
	require.NoError(t, e.pushLogs(context.Background(), stream()))

	got := files(t, dir)
	slices.Sort(got)
	// The shop's page view is at 09:59:30, its goal a minute later: two hours.
	require.Len(t, got, 4)
	assert.Regexp(t, `^kind=events/site=blog/date=2026-03-14/hour=09/part-[0-9a-f]{16}-000\.parquet$`, got[0])
	assert.Regexp(t, `^kind=events/site=shop/date=2026-03-14/hour=09/part-[0-9a-f]{16}-000\.parquet$`, got[1])
	assert.Regexp(t, `^kind=events/site=shop/date=2026-03-14/hour=10/part-[0-9a-f]{16}-000\.parquet$`, got[2])
	assert.Regexp(t, `^kind=sessions/site=shop/date=2026-03-14/hour=09/part-[0-9a-f]{16}-000\.parquet$`, got[3])

	var events []rows.Event
	for _, f := range got[:3] {
		events = append(events, readFile[rows.Event](t, filepath.Join(dir, f))...)
	}
	sessions := readFile[rows.Session](t, filepath.Join(dir, got[3]))
	checkGolden(t, filepath.Join("testdata", "events.json"), events)
	checkGolden(t, filepath.Join("testdata", "sessions.json"), sessions)

	metadatatest.AssertEqualExporterArchiveRecordsSkipped(t, e.tel, []metricdataPoint{{Value: 2}}, ignoreTime()...)
}

func checkGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

// A partition larger than file.max_bytes rolls into several files, each
// but the last at least max_bytes; every row is in exactly one.
func TestFilesRollBySize(t *testing.T) {
	e, dir := startDirExporter(t, func(cfg *Config) {
		cfg.File.MaxBytes = 4 << 10
		cfg.File.RowGroupRows = 50
	})
	ld := plog.NewLogs()
	records := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	ld.ResourceLogs().At(0).Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	for i := range 2000 {
		lr := records.AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprintf("e-%05d", i))
		lr.Attributes().PutStr(schema.AttrURLPath, fmt.Sprintf("/product/%d", i))
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))

	got := files(t, dir)
	slices.Sort(got)
	require.Greater(t, len(got), 2)
	seen := map[string]bool{}
	for i, f := range got {
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		if i < len(got)-1 {
			assert.GreaterOrEqual(t, info.Size(), int64(4<<10), f)
		}
		for _, r := range readFile[rows.Event](t, filepath.Join(dir, f)) {
			assert.False(t, seen[r.EventID], "%s twice", r.EventID)
			seen[r.EventID] = true
		}
	}
	assert.Len(t, seen, 2000)
}

// Written again (a retry after a failure), a batch replaces its own files:
// the names depend only on its rows.
func TestARetriedBatchReplacesItsFiles(t *testing.T) {
	e, dir := startDirExporter(t, nil)
	require.NoError(t, e.pushLogs(context.Background(), stream()))
	first := files(t, dir)
	require.NoError(t, e.pushLogs(context.Background(), stream()))
	assert.ElementsMatch(t, first, files(t, dir))
}

// A destination that fails mid-file leaves nothing visible, counts the
// error and fails the push, so that the queue keeps the batch.
func TestAFailedWriteLeavesNoFile(t *testing.T) {
	e, dir := startDirExporter(t, nil)
	e.writer.store = failingStore{inner: e.store}
	err := e.pushLogs(context.Background(), stream())
	require.ErrorContains(t, err, "disk full")
	assert.Empty(t, files(t, dir), "no file, not even a temporary one")
	metadatatest.AssertEqualExporterArchiveWriteErrors(t, e.tel, []metricdataPoint{{Value: 1}}, ignoreTime()...)
}

type metricdataPoint = metricdata.DataPoint[int64]

func ignoreTime() []metricdatatest.Option {
	return []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}
}

// failingStore fails every write after its first kilobyte, through the
// real store, so that the store's own clean-up is what is tested.
type failingStore struct{ inner store.Store }

func (f failingStore) Put(ctx context.Context, key string, write func(io.Writer) error) (int64, error) {
	return f.inner.Put(ctx, key, func(w io.Writer) error {
		if err := write(&limitedWriter{w: w, left: 1 << 10}); err != nil {
			return err
		}
		return nil
	})
}

type limitedWriter struct {
	w    io.Writer
	left int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		return 0, errors.New("disk full")
	}
	l.left -= len(p)
	return l.w.Write(p)
}

// The columns, their types and their names are the archive's contract with
// every query written against it (docs/archive.md): a change shows here.
func TestColumnSchema(t *testing.T) {
	got := parquet.SchemaOf(rows.Event{}).String() + "\n" + parquet.SchemaOf(rows.Session{}).String() + "\n"
	path := filepath.Join("testdata", "schema.txt")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

// A record whose site id could climb out of its directory ("..") or is no
// site id a config could hold is skipped alone: the other sites of its
// batch are written.
func TestAnInvalidSiteIDIsSkippedAlone(t *testing.T) {
	e, dir := startDirExporter(t, nil)
	ld := plog.NewLogs()
	for _, site := range []string{"..", "a/../../b", "Shop", "blog"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, site)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		lr.Attributes().PutStr(schema.AttrEventID, "pv-"+site)
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))
	got := files(t, dir)
	require.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(got[0], "kind=events/site=blog/"), got[0])
	assert.Len(t, readFile[rows.Event](t, filepath.Join(dir, got[0])), 1)
	metadatatest.AssertEqualExporterArchiveRecordsSkipped(t, e.tel, []metricdataPoint{{Value: 3}}, ignoreTime()...)
}

// A bot's events and sessions kept by bots: flag are archived with the
// reason, for audit; a person's have none.
func TestBotReasonIsArchived(t *testing.T) {
	e, dir := startDirExporter(t, nil)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, "v1")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, id := range []string{"person", "bot"} {
		lr := records.AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		lr.Attributes().PutStr(schema.AttrEventID, id)
		if id == "bot" {
			lr.Attributes().PutStr(schema.AttrUserAgentSynthetic, schema.SyntheticBot)
			lr.Attributes().PutStr(schema.AttrBotReason, schema.BotReasonPageRate)
		}
	}
	require.NoError(t, e.pushLogs(context.Background(), ld))
	got := files(t, dir)
	require.Len(t, got, 1)
	reasons := map[string]string{}
	for _, row := range readFile[rows.Event](t, filepath.Join(dir, got[0])) {
		reasons[row.EventID] = row.BotReason
	}
	assert.Equal(t, map[string]string{"person": "", "bot": schema.BotReasonPageRate}, reasons)
}

// An event named by the legacy event.name attribute (older SDKs) is archived
// under that name, as the metrics and Elasticsearch name it; a session.end
// a client sent is not archived.
func TestLegacyEventNamesAndForgedSessionsAreReadAsEverywhere(t *testing.T) {
	e, dir := startDirExporter(t, nil)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	records := rl.ScopeLogs().AppendEmpty().LogRecords()
	legacy := records.AppendEmpty()
	legacy.SetTimestamp(pcommon.NewTimestampFromTime(t0))
	legacy.Attributes().PutStr(schema.AttrEventID, "e1")
	legacy.Attributes().PutStr(schema.AttrEventNameLegacy, "signup")
	forged := records.AppendEmpty()
	forged.SetTimestamp(pcommon.NewTimestampFromTime(t0))
	forged.Attributes().PutStr(schema.AttrEventNameLegacy, schema.EventSessionEnd)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	got := files(t, dir)
	require.Len(t, got, 1, "no sessions file")
	events := readFile[rows.Event](t, filepath.Join(dir, got[0]))
	require.Len(t, events, 1)
	assert.Equal(t, "signup", events[0].EventName)
}
