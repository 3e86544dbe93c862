// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package loadgen

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// intake decodes what the load generator sends, refuses every seventh
// request with a 503, and counts what it accepted, by event id.
type intake struct {
	mu       sync.Mutex
	requests int
	accepted map[string]plog.LogRecord
	visitors map[string]bool
	types    map[string]int
	// crawled holds the accepted event ids sent with a crawler's User-Agent,
	// and crawlers their visitors.
	crawled  map[string]bool
	crawlers map[string]bool
	// peopleRequests and peopleEvents count the requests with a browser's
	// User-Agent, refused ones included, and the events in them.
	peopleRequests, peopleEvents int
}

func (in *intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalJSON(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.requests++
	in.types[r.Header.Get("Content-Type")]++
	if !slices.Contains(crawlerUserAgents, r.Header.Get("User-Agent")) {
		in.peopleRequests++
		in.peopleEvents += req.Logs().LogRecordCount()
	}
	if in.requests%7 == 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	for _, rl := range req.Logs().ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				id, _ := lr.Attributes().Get("log.record.uid")
				visitor, _ := lr.Attributes().Get("footfall.anonymous_id")
				in.accepted[id.Str()] = lr
				if slices.Contains(crawlerUserAgents, r.Header.Get("User-Agent")) {
					in.crawled[id.Str()] = true
					in.crawlers[visitor.Str()] = true
					continue
				}
				in.visitors[visitor.Str()] = true
			}
		}
	}
}

func TestGroundTruthMatchesWhatWasAccepted(t *testing.T) {
	for _, mode := range []Mode{Batch, Beacon} {
		t.Run(string(mode), func(t *testing.T) {
			in := &intake{
				accepted: map[string]plog.LogRecord{}, visitors: map[string]bool{}, types: map[string]int{},
				crawled: map[string]bool{}, crawlers: map[string]bool{},
			}
			srv := httptest.NewServer(in)
			defer srv.Close()
			rep, err := Run(t.Context(), Config{
				URL: srv.URL, Mode: mode, Senders: 3, Duration: time.Minute, MaxVisits: 300,
				Traffic: DefaultTraffic(), Seed: 1,
			})
			require.NoError(t, err)
			t.Log(rep)

			pageViews, signups := 0, 0
			for id, lr := range in.accepted {
				if in.crawled[id] {
					continue
				}
				switch lr.EventName() {
				case "browser.page_view":
					pageViews++
				case "signup":
					signups++
				}
			}
			assert.Zero(t, rep.EventsLost)
			assert.Equal(t, len(in.accepted), rep.EventsAcked, "every event acknowledged once, retries aside")
			assert.Greater(t, rep.EventsSent, rep.EventsAcked, "refused requests were sent again")
			assert.Equal(t, rep.Statuses[http.StatusServiceUnavailable], in.requests/7)
			assert.Equal(t, 300, rep.Truth.Sessions+rep.Truth.BotVisits)
			assert.InDelta(t, 0.05*300, rep.Truth.BotVisits, 10, "about 5% of visits are crawlers'")
			assert.Len(t, in.visitors, rep.Truth.Visitors)
			assert.Len(t, in.crawlers, rep.Truth.BotVisits)
			assert.Len(t, in.crawled, rep.Truth.BotEvents, "a crawler's events go with its own User-Agent")
			assert.Equal(t, len(in.accepted), rep.Truth.Events+rep.Truth.BotEvents)
			assert.Equal(t, pageViews, rep.Truth.PageViews)
			assert.Equal(t, signups, rep.Truth.Signups)
			assert.InDelta(t, 0.4*0.95*300, rep.Truth.Bounces, 40, "about 40% of people's visits bounce")
			assert.Len(t, rep.Latencies, rep.Statuses[http.StatusOK])
			if mode == Beacon {
				assert.Equal(t, rep.Requests, rep.EventsSent, "one event per beacon")
				assert.Equal(t, in.requests, in.types["text/plain;charset=UTF-8"])
			} else {
				assert.Equal(t, in.requests, in.types["application/json"])
				assert.Greater(t, float64(in.peopleEvents)/float64(in.peopleRequests), 19.0, "people's batches of 20 but the last")
			}
		})
	}
}

func TestVisitsInterleaveButKeepTheirOrder(t *testing.T) {
	m := newVisitMaker(DefaultTraffic(), 7, "run", 0)
	pages := 0
	for range 1000 {
		v := m.visit()
		require.Equal(t, "browser.page_view", v.Events[0].Name)
		if v.Bot {
			continue
		}
		if v.Bounce {
			assert.Len(t, v.Events, 2)
		}
		pages += v.PageViews
	}
	assert.InDelta(t, 0.4*1+0.6*4, float64(pages)/950, 0.3, "mean pages per person's visit")
}

func TestTrafficValidation(t *testing.T) {
	bad := DefaultTraffic()
	bad.ZipfS = 1
	_, err := Run(t.Context(), Config{URL: "http://127.0.0.1:1", Duration: time.Second, Traffic: bad})
	require.ErrorContains(t, err, "Zipf")
}

// With a think time, a visit's events are spread out: no two of one visit
// go out closer than the sender's own pacing allows, and on average about
// the think time apart.
func TestThinkTimeSpacesAVisitsEvents(t *testing.T) {
	var mu sync.Mutex
	arrivals := map[string][]time.Time{}
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := plogotlp.NewExportRequest()
		require.NoError(t, req.UnmarshalJSON(body))
		mu.Lock()
		defer mu.Unlock()
		for _, rl := range req.Logs().ResourceLogs().All() {
			for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
				v, _ := lr.Attributes().Get("footfall.anonymous_id")
				arrivals[v.Str()] = append(arrivals[v.Str()], time.Now())
			}
		}
	}))
	defer srv.Close()
	traffic := DefaultTraffic()
	traffic.BounceShare = 0
	rep, err := Run(t.Context(), Config{URL: srv.URL, Mode: Batch, Senders: 1, ActiveVisits: 4, ThinkTime: 40 * time.Millisecond, Duration: time.Minute, MaxVisits: 8, Traffic: traffic})
	require.NoError(t, err)
	require.Zero(t, rep.EventsLost)
	var gaps []time.Duration
	for _, times := range arrivals {
		for i := 1; i < len(times); i++ {
			gaps = append(gaps, times[i].Sub(times[i-1]))
		}
	}
	require.NotEmpty(t, gaps)
	var total time.Duration
	for _, g := range gaps {
		total += g
	}
	assert.Greater(t, total/time.Duration(len(gaps)), 20*time.Millisecond, "events of one visit wait for the think time")
	assert.Less(t, float64(rep.Requests), float64(rep.EventsAcked), "events of several visits share requests")
}
