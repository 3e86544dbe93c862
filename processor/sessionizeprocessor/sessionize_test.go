// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/schema"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the golden input and expected files from the current code")

// step is one batch handed to the processor, or a tick of the wall clock.
type step struct {
	batch []event
	tick  time.Duration
}

func send(events ...event) step       { return step{batch: events} }
func tickAt(since time.Duration) step { return step{tick: since} }

var (
	google     = map[string]string{schema.AttrReferrerClass: "search", schema.AttrReferrerSource: "Google"}
	newsletter = map[string]string{schema.AttrReferrerClass: "direct", schema.AttrUTMSource: "newsletter", schema.AttrUTMMedium: "email"}
	direct     = map[string]string{schema.AttrReferrerClass: "direct"}
)

func withAttrs(e event, attrs map[string]string) event {
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		e = e.with(k, attrs[k])
	}
	return e
}

// The session rules of docs/sessions.md, one case per rule. Each case runs
// with flush_on_shutdown, so that its last sessions end with reason shutdown
// and every summary is visible. Inputs and outputs are golden pdata files in
// testdata/golden/<case>; the summary lines say what the case is about.
func TestSessionRules(t *testing.T) {
	tests := []struct {
		name   string
		config func(*Config)
		steps  []step
		want   []string
	}{
		{
			name:  "idle",
			steps: []step{send(pv("a", "e1", 0, "/"), click("a", "e2", time.Minute)), send(pv("a", "e3", 40*time.Minute, "/b"))},
			want: []string{
				"a start S1 prev=",
				"a e1 S1 #1",
				"a e2 S1 #2",
				"a end S1 idle pv=1 events=2 bounce=false entry=/ exit=/",
				"a start S2 prev=S1 returning",
				"a e3 S2 #1",
				"a end S2 shutdown pv=1 events=1 bounce=true entry=/b exit=/b",
			},
		},
		{
			name:   "idle_by_wall_clock",
			config: func(cfg *Config) { cfg.FlushOnShutdown = false },
			steps:  []step{send(pv("a", "e1", 0, "/")), tickAt(29 * time.Minute), tickAt(31 * time.Minute)},
			want: []string{
				"a start S1 prev=",
				"a e1 S1 #1",
				"a end S1 idle pv=1 events=1 bounce=true entry=/ exit=/",
			},
		},
		{
			name:   "max_duration",
			config: func(cfg *Config) { cfg.MaxDuration = time.Hour },
			steps: []step{
				send(pv("a", "e1", 0, "/")), send(pv("a", "e2", 20*time.Minute, "/2")), send(pv("a", "e3", 40*time.Minute, "/3")),
				send(pv("a", "e4", 60*time.Minute, "/4")), send(pv("a", "e5", 61*time.Minute, "/5")),
			},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2", "a e3 S1 #3", "a e4 S1 #4",
				"a end S1 max_duration pv=4 events=4 bounce=false entry=/ exit=/4",
				"a start S2 prev=S1 returning", "a e5 S2 #1",
				"a end S2 shutdown pv=1 events=1 bounce=true entry=/5 exit=/5",
			},
		},
		{
			// 22:50 and 23:05 UTC are 23:50 and 00:05 in Berlin.
			name:   "midnight",
			config: func(cfg *Config) { cfg.Sites = map[string]SiteConfig{"shop": {TimeZone: "Europe/Berlin"}} },
			steps:  []step{send(pv("a", "e1", 12*time.Hour+50*time.Minute, "/")), send(pv("a", "e2", 13*time.Hour+5*time.Minute, "/next"))},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1",
				"a end S1 midnight pv=1 events=1 bounce=true entry=/ exit=/",
				"a start S2 prev=S1 returning", "a e2 S2 #1",
				"a end S2 shutdown pv=1 events=1 bounce=true entry=/next exit=/next",
			},
		},
		{
			name: "campaign",
			steps: []step{send(
				withAttrs(pv("a", "e1", 0, "/"), google),
				withAttrs(pv("a", "e2", time.Minute, "/pricing"), direct),
				withAttrs(pv("a", "e3", 2*time.Minute, "/offer"), newsletter),
			)},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
				"a end S1 campaign pv=2 events=2 bounce=false entry=/ exit=/pricing",
				"a start S2 prev=S1 returning", "a e3 S2 #1",
				"a end S2 shutdown pv=1 events=1 bounce=true entry=/offer exit=/offer",
			},
		},
		{
			name:   "campaign_split_off",
			config: func(cfg *Config) { cfg.SplitOnCampaignChange = false },
			steps:  []step{send(withAttrs(pv("a", "e1", 0, "/"), google), withAttrs(pv("a", "e2", time.Minute, "/offer"), newsletter))},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
				"a end S1 shutdown pv=2 events=2 bounce=false entry=/ exit=/offer",
			},
		},
		{
			name: "client_session",
			steps: []step{send(
				pv("a", "e1", 0, "/").with(schema.AttrSessionID, "c1"),
				click("a", "e2", time.Minute),
				pv("a", "e3", 2*time.Minute, "/").with(schema.AttrSessionID, "c2"),
			)},
			want: []string{
				"a start c1 prev=", "a e1 c1 #1", "a e2 c1 #2",
				"a end c1 client_session pv=1 events=2 bounce=false entry=/ exit=/",
				"a start c2 prev=c1 returning", "a e3 c2 #1",
				"a end c2 shutdown pv=1 events=1 bounce=true entry=/ exit=/",
			},
		},
		{
			// Placed on arrival, e2 would open a new session (30m05s after
			// e1); e3 bridges the gap and arrives within the allowed lateness.
			name: "out_of_order",
			steps: []step{
				send(pv("a", "e1", 0, "/")),
				send(pv("a", "e2", 30*time.Minute+5*time.Second, "/2")),
				send(pv("a", "e3", 29*time.Minute+58*time.Second, "/3")),
			},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e3 S1 #2", "a e2 S1 #3",
				"a end S1 shutdown pv=3 events=3 bounce=false entry=/ exit=/2",
			},
		},
		{
			name: "late",
			steps: []step{
				send(pv("a", "e1", 0, "/")),
				send(pv("a", "e2", 5*time.Minute, "/2")),
				send(click("a", "e3", time.Minute)),
			},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e3 S1 #2 late", "a e2 S1 #3",
				"a end S1 shutdown pv=2 events=3 bounce=false entry=/ exit=/2",
			},
		},
		{
			name: "skewed_clock",
			steps: []step{send(
				pv("a", "e1", -2*time.Hour, "/").receivedAt(0),
				click("a", "e2", time.Minute+time.Second).receivedAt(time.Minute),
			)},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1 skewed", "a e2 S1 #2",
				"a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
			},
		},
		{
			name: "dedup",
			steps: []step{
				send(pv("a", "e1", 0, "/"), pv("a", "e1", 0, "/"), click("a", "e2", 30*time.Second)),
				send(click("a", "e2", 30*time.Second)),
			},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
				"a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
			},
		},
		{
			name:   "evicted",
			config: func(cfg *Config) { cfg.MaxSessions = 2 },
			steps:  []step{send(pv("a", "a1", 0, "/")), send(pv("b", "b1", time.Minute, "/")), send(pv("c", "c1", 2*time.Minute, "/"))},
			want: []string{
				"a start S1 prev=", "a a1 S1 #1",
				"b start S2 prev=", "b b1 S2 #1",
				"a end S1 evicted pv=1 events=1 bounce=true entry=/ exit=/",
				"c start S3 prev=", "c c1 S3 #1",
				"b end S2 shutdown pv=1 events=1 bounce=true entry=/ exit=/",
				"c end S3 shutdown pv=1 events=1 bounce=true entry=/ exit=/",
			},
		},
		{
			name: "goals",
			steps: []step{send(
				pv("a", "e1", 0, "/pricing"),
				event{visitor: "a", id: "e2", name: "signup", at: time.Minute},
				event{visitor: "a", id: "e3", name: schema.EventEngagement, at: 2 * time.Minute},
			)},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2", "a e3 S1 #3",
				`a end S1 shutdown pv=1 events=3 bounce=false entry=/pricing exit=/pricing goals=["signup"]`,
			},
		},
		{
			// An event marked as no interaction (Plausible's interactive:
			// false) leaves a one-page session a bounce.
			name: "not_interactive",
			steps: []step{send(
				pv("a", "a1", 0, "/"),
				event{visitor: "a", id: "a2", name: "popup.shown", at: time.Second, attrs: map[string]string{schema.AttrEventInteractive: "false"}},
				pv("b", "b1", 0, "/"),
				event{visitor: "b", id: "b2", name: "popup.shown", at: time.Second},
			)},
			want: []string{
				"a start S1 prev=", "a a1 S1 #1", "b start S2 prev=", "b b1 S2 #1", "a a2 S1 #2", "b b2 S2 #2",
				"a end S1 shutdown pv=1 events=2 bounce=true entry=/ exit=/",
				"b end S2 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
			},
		},
		{
			// Goal values sum per currency into session.end, once per event
			// id; a value or currency that is not valid is left out.
			name:   "revenue",
			config: func(cfg *Config) { cfg.Goals = []string{"signup", "purchase"} },
			steps: []step{send(
				pv("a", "a1", 0, "/pricing"),
				event{visitor: "a", id: "a2", name: "signup", at: time.Minute, attrs: map[string]string{schema.AttrGoalValue: "19.5", schema.AttrGoalCurrency: "usd"}},
				event{visitor: "a", id: "a2", name: "signup", at: time.Minute, attrs: map[string]string{schema.AttrGoalValue: "19.5", schema.AttrGoalCurrency: "usd"}},
				event{visitor: "a", id: "a3", name: "purchase", at: 2 * time.Minute, attrs: map[string]string{schema.AttrGoalValue: "0.5", schema.AttrGoalCurrency: "USD"}},
				event{visitor: "a", id: "a4", name: "purchase", at: 3 * time.Minute, attrs: map[string]string{schema.AttrGoalValue: "30", schema.AttrGoalCurrency: "EUR"}},
				event{visitor: "a", id: "a5", name: "purchase", at: 4 * time.Minute, attrs: map[string]string{schema.AttrGoalValue: "NaN", schema.AttrGoalCurrency: "EUR"}},
				event{visitor: "a", id: "a6", name: "purchase", at: 5 * time.Minute, attrs: map[string]string{schema.AttrGoalValue: "5", schema.AttrGoalCurrency: "XYZ"}},
				event{visitor: "b", id: "b1", name: "signup", at: 0},
				event{visitor: "c", id: "c1", name: "signup", at: 0, attrs: map[string]string{schema.AttrSessionRevenue: "forged"}},
			)},
			want: []string{
				"a start S1 prev=", "a a1 S1 #1", "b start S2 prev=", "b b1 S2 #1", "c start S3 prev=", "c c1 S3 #1",
				"a a2 S1 #2", "a a3 S1 #3", "a a4 S1 #4", "a a5 S1 #5", "a a6 S1 #6",
				`c end S3 shutdown pv=0 events=1 bounce=false entry= exit= goals=["signup"]`,
				`b end S2 shutdown pv=0 events=1 bounce=false entry= exit= goals=["signup"]`,
				`a end S1 shutdown pv=1 events=6 bounce=false entry=/pricing exit=/pricing goals=["purchase","signup"] revenue={"EUR":30,"USD":20}`,
			},
		},
		{
			// Steps count in order, other events between them; a step done
			// before the one it follows, or without its property, does not
			// count; {id} is one segment; one event may move two funnels.
			name: "funnels",
			config: func(cfg *Config) {
				cfg.Funnels = []FunnelConfig{
					{Name: "checkout", Steps: []FunnelStep{
						{Path: "/pricing"},
						{Event: "signup", Properties: map[string]string{"plan": "pro"}},
						{Event: schema.EventPageView, Path: "/checkout/{id}"},
					}},
					{Name: "blog", Sites: []string{"shop"}, Steps: []FunnelStep{{Path: "/blog/{slug}"}, {Event: "signup"}}},
					{Name: "elsewhere", Sites: []string{"other"}, Steps: []FunnelStep{{Path: "/pricing"}, {Event: "signup"}}},
				}
			},
			steps: []step{send(
				pv("a", "a1", 0, "/pricing"),
				pv("a", "a2", time.Minute, "/blog/launch"),
				event{visitor: "a", id: "a3", name: "signup", at: 2 * time.Minute, attrs: map[string]string{"plan": " pro "}},
				pv("a", "a4", 3*time.Minute, "/checkout/42/"),
				pv("b", "b1", 0, "/checkout/7"),
				pv("b", "b2", time.Minute, "/pricing"),
				event{visitor: "b", id: "b3", name: "signup", at: 2 * time.Minute, attrs: map[string]string{"plan": "free"}},
				pv("b", "b4", 3*time.Minute, "/checkout"),
				event{visitor: "c", id: "c1", name: "signup", at: 0, attrs: map[string]string{"plan": "pro", schema.AttrSessionFunnelSteps: "forged"}},
				pv("c", "c2", time.Minute, "/pricing"),
			)},
			want: []string{
				"a start S1 prev=", `a a1 S1 #1 funnels={"checkout":1}`,
				"b start S2 prev=", "b b1 S2 #1",
				"c start S3 prev=", "c c1 S3 #1",
				`a a2 S1 #2 funnels={"blog":1}`, `b b2 S2 #2 funnels={"checkout":1}`, `c c2 S3 #2 funnels={"checkout":1}`,
				`a a3 S1 #3 funnels={"blog":2,"checkout":2}`, "b b3 S2 #3",
				`a a4 S1 #4 funnels={"checkout":3}`, "b b4 S2 #4",
				`c end S3 shutdown pv=1 events=2 bounce=false entry=/pricing exit=/pricing goals=["signup"]`,
				`a end S1 shutdown pv=3 events=4 bounce=false entry=/pricing exit=/checkout/42/ goals=["signup"]`,
				`b end S2 shutdown pv=3 events=4 bounce=false entry=/checkout/7 exit=/checkout goals=["signup"]`,
			},
		},
		{
			// A page-hide summary is not an interaction: the visit still bounced.
			name:  "bounce_with_engagement_summary",
			steps: []step{send(pv("a", "e1", 0, "/"), event{visitor: "a", id: "e2", name: schema.EventEngagement, at: time.Minute})},
			want: []string{
				"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
				"a end S1 shutdown pv=1 events=2 bounce=true entry=/ exit=/",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.FlushOnShutdown = true
			if tt.config != nil {
				tt.config(cfg)
			}
			require.NoError(t, cfg.Validate())
			h := start(t, cfg, nil, nil)
			dir := filepath.Join("testdata", "golden", tt.name)
			if *updateGolden {
				require.NoError(t, os.MkdirAll(dir, 0o750))
			}
			n := 0
			for _, s := range tt.steps {
				if s.batch == nil {
					h.tick(t0.Add(s.tick))
					continue
				}
				n++
				path := filepath.Join(dir, fmt.Sprintf("input-%d.yaml", n))
				built := logsOf(s.batch...)
				if *updateGolden {
					require.NoError(t, golden.WriteLogsToFile(path, built))
				}
				input, err := golden.ReadLogs(path)
				require.NoError(t, err)
				require.NoError(t, plogtest.CompareLogs(built, input), "the golden input is out of date: run with -update-golden")
				h.mustConsume(input)
			}
			h.shutdown()
			got := h.output()
			assert.Equal(t, tt.want, summary(got))
			expectedPath := filepath.Join(dir, "expected.yaml")
			if *updateGolden {
				require.NoError(t, golden.WriteLogs(t, expectedPath, got))
			}
			want, err := golden.ReadLogs(expectedPath)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(want, got))
		})
	}
}

// Every resource the processor sends on names its site's time zone, the
// site's own or the default: the time zones are configured here alone, and
// the webanalytics connector reads them from the records. A zone the input
// carried is replaced.
func TestOutputNamesTheSiteTimeZone(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedLateness = 0
	cfg.TimeZone = "America/New_York"
	cfg.Sites = map[string]SiteConfig{"blog": {TimeZone: "Europe/Berlin"}}
	h := start(t, cfg, nil, nil)
	forged := logsOf(pv("a", "e1", 0, "/"))
	forged.ResourceLogs().At(0).Resource().Attributes().PutStr(schema.AttrSiteTimeZone, "Asia/Tokyo")
	h.mustConsume(forged)
	h.mustConsume(logsOf(pv("b", "e2", 0, "/").on("blog")))
	h.shutdown()

	want := map[string]string{"shop": "America/New_York", "blog": "Europe/Berlin"}
	seen := map[string]bool{}
	for _, rl := range h.output().ResourceLogs().All() {
		site, _ := rl.Resource().Attributes().Get(schema.AttrSiteID)
		zone, ok := rl.Resource().Attributes().Get(schema.AttrSiteTimeZone)
		require.True(t, ok, "site %s", site.Str())
		assert.Equal(t, want[site.Str()], zone.Str(), "site %s", site.Str())
		seen[site.Str()] = true
	}
	assert.Equal(t, map[string]bool{"shop": true, "blog": true}, seen)
}
