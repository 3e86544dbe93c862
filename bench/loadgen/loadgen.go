// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package loadgen sends realistic browser traffic to a browserevents
// receiver (or any OTLP/HTTP logs endpoint) and keeps the exact ground truth
// of what was acknowledged: visitors, sessions, bounces, page views. The
// footfall-loadgen command and the benchmarks run it.
package loadgen // import "github.com/footfall-analytics/footfall/bench/loadgen"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Mode is how events are sent.
type Mode string

const (
	// Beacon sends one event per request as text/plain, as navigator.sendBeacon does.
	Beacon Mode = "beacon"
	// Batch sends up to BatchSize events per application/json request.
	Batch Mode = "batch"
)

// Config says where to send what.
type Config struct {
	// URL is the OTLP/HTTP logs endpoint, e.g. http://localhost:4319/v1/logs.
	URL string
	// Origin returns the Origin header (and page URL base) for a site.
	Origin func(site string) string
	Mode   Mode
	// BatchSize is the events per request in Batch mode (default 20).
	BatchSize int
	// Senders is the number of concurrent senders, each with one request in
	// flight; each sends for one site.
	Senders int
	// ActiveVisits per sender are interleaved, as concurrent visitors are.
	ActiveVisits int
	// ThinkTime is the mean pause (exponentially distributed) between two
	// events of one visit; a sender sends other visits' events meanwhile,
	// and waits when none is ready. Zero sends each visit's next event as
	// soon as its turn comes, for throughput runs.
	ThinkTime time.Duration
	// Duration of the run; MaxVisits, when set, ends it earlier.
	Duration  time.Duration
	MaxVisits int
	// Rate, when set, caps the events per second over all senders (an open
	// load for latency measurements); zero sends as fast as acks allow.
	Rate    float64
	Traffic Traffic
	Seed    uint64
	// RunID makes event and visitor ids unique to the run, so that runs
	// against one collector are not taken for replays; default: the start time.
	RunID  string
	Client *http.Client
}

func (c *Config) setDefaults() {
	if c.BatchSize == 0 {
		c.BatchSize = 20
	}
	if c.Mode == Beacon {
		c.BatchSize = 1
	}
	if c.Senders == 0 {
		c.Senders = 8
	}
	if c.ActiveVisits == 0 {
		c.ActiveVisits = 32
	}
	if c.Client == nil {
		c.Client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.Senders * 2}, Timeout: 30 * time.Second}
	}
	if c.RunID == "" {
		c.RunID = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if c.Origin == nil {
		c.Origin = func(site string) string { return "https://" + site + ".example" }
	}
}

// Report is what a run did.
type Report struct {
	Mode     Mode
	Duration time.Duration
	Requests int
	// EventsSent counts every event put in a request, retries included;
	// EventsAcked those in requests answered 2xx (each once).
	EventsSent, EventsAcked int
	// EventsLost were refused for good (a 4xx) or never acknowledged before the end.
	EventsLost int
	// Statuses counts answers by HTTP status; 0 is a transport error.
	Statuses map[int]int
	// Latencies of acknowledged requests, sorted.
	Latencies []time.Duration
	Truth     GroundTruth
}

// GroundTruth is what the acknowledged events say, as the sessionizer and
// the webanalytics connector should count them: people only. Crawlers'
// events are acknowledged too (the receiver answers a bot 200) and counted
// apart, in BotEvents and BotVisits.
type GroundTruth struct {
	// Visitors equals Sessions: every visit is a new visitor.
	Visitors, Sessions, Bounces, PageViews, Events int
	Signups                                        int
	BotVisits, BotEvents                           int
}

// Quantile returns the q-quantile of acknowledged request latency.
func (r Report) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(r.Latencies)-1))
	return r.Latencies[i]
}

// EventsPerSecond is the acknowledged events per second.
func (r Report) EventsPerSecond() float64 {
	return float64(r.EventsAcked) / r.Duration.Seconds()
}

func (r Report) String() string {
	return fmt.Sprintf("%s: %d requests, %d events acked (%.0f/s), %d lost, ack p50 %v p99 %v max %v, statuses %v; truth %+v",
		r.Mode, r.Requests, r.EventsAcked, r.EventsPerSecond(), r.EventsLost,
		r.Quantile(0.5), r.Quantile(0.99), r.Quantile(1), r.Statuses, r.Truth)
}

// liveVisit is a visit being sent, with what of it was acknowledged.
type liveVisit struct {
	Visit
	next                   int
	readyAt                time.Time
	ackedPages, ackedOther int
	ackedAny               bool
	signups                int
}

// Run sends traffic until the duration is over or ctx ends.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.setDefaults()
	if err := cfg.Traffic.Validate(); err != nil {
		return Report{}, err
	}
	if cfg.URL == "" {
		return Report{}, errors.New("loadgen: the URL is required")
	}
	// No request starts after the deadline, but requests under way finish
	// (and retries go on for a grace period), so that what was acknowledged
	// is known exactly at the end.
	deadline := time.Now().Add(cfg.Duration)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(retryGrace))
	defer cancel()
	var limiter <-chan time.Time
	if cfg.Rate > 0 {
		// One token per request; batches take BatchSize events at a time.
		ticker := time.NewTicker(time.Duration(float64(time.Second) * float64(cfg.BatchSize) / cfg.Rate))
		defer ticker.Stop()
		limiter = ticker.C
	}
	var visitsLeft chan struct{}
	if cfg.MaxVisits > 0 {
		visitsLeft = make(chan struct{}, cfg.MaxVisits)
		for range cfg.MaxVisits {
			visitsLeft <- struct{}{}
		}
	}

	start := time.Now()
	results := make([]senderResult, cfg.Senders)
	var wg sync.WaitGroup
	for i := range cfg.Senders {
		wg.Go(func() {
			s := sender{cfg: cfg, deadline: deadline, maker: newVisitMaker(cfg.Traffic, cfg.Seed, cfg.RunID, i), limiter: limiter, visitsLeft: visitsLeft}
			s.maker.t.Sites = []string{cfg.Traffic.Sites[i%len(cfg.Traffic.Sites)]}
			results[i] = s.run(ctx)
		})
	}
	wg.Wait()
	rep := Report{Mode: cfg.Mode, Duration: time.Since(start), Statuses: map[int]int{}}
	for _, r := range results {
		rep.Requests += r.requests
		rep.EventsSent += r.sent
		rep.EventsAcked += r.acked
		rep.EventsLost += r.lost
		rep.Latencies = append(rep.Latencies, r.latencies...)
		for s, n := range r.statuses {
			rep.Statuses[s] += n
		}
		for _, v := range r.visits {
			if !v.ackedAny {
				continue
			}
			if v.Bot {
				rep.Truth.BotVisits++
				rep.Truth.BotEvents += v.ackedPages
				continue
			}
			rep.Truth.Visitors++
			rep.Truth.Sessions++
			rep.Truth.PageViews += v.ackedPages
			rep.Truth.Signups += v.signups
			if v.ackedPages == 1 && v.ackedOther == 0 {
				rep.Truth.Bounces++
			}
		}
	}
	rep.Truth.Events = rep.EventsAcked - rep.Truth.BotEvents
	slices.Sort(rep.Latencies)
	return rep, nil
}

type senderResult struct {
	requests, sent, acked, lost int
	statuses                    map[int]int
	latencies                   []time.Duration
	visits                      []*liveVisit
}

// retryGrace is how long refused requests are retried after the deadline.
const retryGrace = 10 * time.Second

type sender struct {
	cfg        Config
	deadline   time.Time
	maker      *visitMaker
	limiter    <-chan time.Time
	visitsLeft chan struct{}
	active     []*liveVisit
	crawls     []*liveVisit
	res        senderResult
	nextID     uint64
	buf        []byte
}

func (s *sender) run(ctx context.Context) senderResult {
	s.res.statuses = map[int]int{}
	site := s.maker.t.Sites[0]
	origin := s.cfg.Origin(site)
	batch := make([]pending, 0, s.cfg.BatchSize)
	for ctx.Err() == nil && time.Now().Before(s.deadline) {
		batch = s.fill(batch[:0])
		if len(batch) > 0 && !s.post(ctx, site, origin, batch) {
			return s.res
		}
		if !s.sendCrawls(ctx, site, origin) || len(batch) == 0 {
			break
		}
	}
	return s.res
}

// post sends one request when the rate limit lets it; false when the run
// ended first.
func (s *sender) post(ctx context.Context, site, origin string, batch []pending) bool {
	if s.limiter != nil {
		select {
		case <-s.limiter:
		case <-ctx.Done():
			s.res.lost += len(batch)
			return false
		}
	}
	s.send(ctx, site, origin, batch)
	return true
}

// sendCrawls sends the crawlers' visits taken so far, each in requests of
// its own (BatchSize events at most).
func (s *sender) sendCrawls(ctx context.Context, site, origin string) bool {
	for _, v := range s.crawls {
		for v.next < len(v.Events) {
			var batch []pending
			for ; v.next < len(v.Events) && len(batch) < s.cfg.BatchSize; v.next++ {
				s.nextID++
				batch = append(batch, pending{visit: v, event: v.Events[v.next], id: s.maker.id + "-" + strconv.FormatUint(s.nextID, 36) + "-" + v.Visitor})
			}
			if !s.post(ctx, site, origin, batch) {
				return false
			}
		}
	}
	s.crawls = s.crawls[:0]
	return true
}

// fill takes the next events of the active visits, round robin, starting new
// visits as old ones end.
func (s *sender) fill(batch []pending) []pending {
	for len(batch) < s.cfg.BatchSize {
		for len(s.active) < s.cfg.ActiveVisits && s.takeVisit() {
			v := &liveVisit{Visit: s.maker.visit()}
			s.res.visits = append(s.res.visits, v)
			if v.Bot {
				// A request has one User-Agent: a crawler's events go in
				// requests of their own (sendCrawls).
				s.crawls = append(s.crawls, v)
				continue
			}
			s.active = append(s.active, v)
		}
		if len(s.active) == 0 {
			return batch
		}
		v := s.nextReady(len(batch) == 0)
		if v == nil {
			return batch
		}
		s.nextID++
		batch = append(batch, pending{visit: v, event: v.Events[v.next], id: s.maker.id + "-" + strconv.FormatUint(s.nextID, 36) + "-" + v.Visitor})
		v.next++
		s.active = s.active[1:]
		if v.next < len(v.Events) {
			// The next event of this visit goes out with a later request,
			// after the other visitors' events, as real visits interleave.
			if s.cfg.ThinkTime > 0 {
				v.readyAt = time.Now().Add(time.Duration(s.maker.rng.ExpFloat64() * float64(s.cfg.ThinkTime)))
			}
			s.active = append(s.active, v)
		}
	}
	return batch
}

// nextReady moves the first visit whose think time is over to the front and
// returns it. With wait, it sleeps until one is ready (an empty request is
// no request); without, it returns nil when none is, so that the batch
// goes out as it is.
func (s *sender) nextReady(wait bool) *liveVisit {
	for {
		now := time.Now()
		earliest := -1
		for i, v := range s.active {
			if !v.readyAt.After(now) {
				s.active[0], s.active[i] = s.active[i], s.active[0]
				return s.active[0]
			}
			if earliest < 0 || v.readyAt.Before(s.active[earliest].readyAt) {
				earliest = i
			}
		}
		if !wait || time.Now().After(s.deadline) {
			return nil
		}
		time.Sleep(s.active[earliest].readyAt.Sub(now))
	}
}

func (s *sender) takeVisit() bool {
	if s.visitsLeft == nil {
		return true
	}
	select {
	case <-s.visitsLeft:
		return true
	default:
		return false
	}
}

// send posts the batch until it is acknowledged, retrying what a browser
// would retry (transport errors, 429, 5xx) with the same event ids.
func (s *sender) send(ctx context.Context, site, origin string, batch []pending) {
	contentType := "application/json"
	if s.cfg.Mode == Beacon {
		contentType = "text/plain;charset=UTF-8"
	}
	s.buf = appendBody(s.buf[:0], site, origin, batch, time.Now())
	backoff := 10 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(s.buf))
		if err != nil {
			s.res.lost += len(batch)
			return
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", origin)
		req.Header.Set("User-Agent", batch[0].visit.UserAgent)
		began := time.Now()
		resp, err := s.cfg.Client.Do(req)
		status := 0
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			status = resp.StatusCode
		}
		s.res.requests++
		s.res.sent += len(batch)
		s.res.statuses[status]++
		if status >= 200 && status < 300 {
			s.res.latencies = append(s.res.latencies, time.Since(began))
			s.res.acked += len(batch)
			for _, p := range batch {
				p.visit.ackedAny = true
				switch p.event.Name {
				case "browser.page_view":
					p.visit.ackedPages++
				case "browser.engagement":
				case "signup":
					p.visit.signups++
					p.visit.ackedOther++
				default:
					p.visit.ackedOther++
				}
			}
			return
		}
		if status != 0 && status != http.StatusTooManyRequests && status < 500 {
			s.res.lost += len(batch)
			return
		}
		select {
		case <-ctx.Done():
			s.res.lost += len(batch)
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}
