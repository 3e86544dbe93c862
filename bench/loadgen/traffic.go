// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package loadgen // import "github.com/footfall-analytics/footfall/bench/loadgen"

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// Traffic shapes the simulated visits.
type Traffic struct {
	// Sites are the site ids visits are spread over, evenly.
	Sites []string
	// Pages is the number of distinct pages per site; their popularity
	// follows a Zipf law with exponent ZipfS.
	Pages int
	ZipfS float64
	// BounceShare of visits see one page and do nothing else.
	BounceShare float64
	// MeanPages is the mean number of pages of a visit that does not bounce
	// (at least 2, geometrically distributed).
	MeanPages float64
	// UTMShare of visits land with UTM parameters.
	UTMShare float64
	// ClickShare of page views (of non-bouncing visits) are followed by an
	// outbound click; SignupShare of non-bouncing visits end with a signup.
	ClickShare  float64
	SignupShare float64
	// BotShare of visits are crawlers' (a crawler's User-Agent, a few page
	// views): the receiver filters them, and the ground truth counts them
	// apart (GroundTruth.BotEvents).
	BotShare float64
}

// DefaultTraffic is a content site's shape: 40% bounces, 4 pages per
// engaged visit, 20% campaign traffic.
func DefaultTraffic() Traffic {
	return Traffic{
		Sites:       []string{"bench-a", "bench-b", "bench-c"},
		Pages:       500,
		ZipfS:       1.1,
		BounceShare: 0.4,
		MeanPages:   4,
		UTMShare:    0.2,
		ClickShare:  0.1,
		SignupShare: 0.05,
		BotShare:    0.05,
	}
}

// Validate reports a traffic shape that cannot be simulated.
func (t Traffic) Validate() error {
	switch {
	case len(t.Sites) == 0:
		return fmt.Errorf("loadgen: at least one site is needed")
	case t.Pages < 1:
		return fmt.Errorf("loadgen: pages must be at least 1")
	case t.ZipfS <= 1:
		return fmt.Errorf("loadgen: the Zipf exponent must be above 1")
	case t.MeanPages < 2:
		return fmt.Errorf("loadgen: mean pages of an engaged visit must be at least 2")
	}
	for _, share := range []float64{t.BounceShare, t.UTMShare, t.ClickShare, t.SignupShare, t.BotShare} {
		if share < 0 || share > 1 {
			return fmt.Errorf("loadgen: shares must be between 0 and 1")
		}
	}
	return nil
}

// Event is one browser event of a visit.
type Event struct {
	Name string
	// Path of the page; Query is appended to the landing page's URL.
	Path, Query string
	Referrer    string
	// Element is the clicked link's kind, for browser.click.
	Element string
	// EngagedMs is set on browser.engagement.
	EngagedMs int
}

// Visit is one session of one visitor.
type Visit struct {
	Site, Visitor, UserAgent string
	Events                   []Event
	PageViews                int
	Bounce                   bool
	// Bot is set on a crawler's visit.
	Bot bool
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
}

// crawlerUserAgents are on the receiver's bot list (docs/bots.md).
var crawlerUserAgents = []string{
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
}

var referrers = []string{
	"", "", "", // direct
	"https://www.google.com/", "https://www.google.de/", "https://www.bing.com/", "https://duckduckgo.com/",
	"https://news.ycombinator.com/", "https://www.reddit.com/r/programming/", "https://t.co/abc123",
	"https://www.linkedin.com/feed/", "https://github.com/footfall-analytics/footfall", "https://blog.example.org/post",
}

var campaigns = []string{
	"utm_source=newsletter&utm_medium=email&utm_campaign=november",
	"utm_source=google&utm_medium=cpc&utm_campaign=brand",
	"utm_source=twitter&utm_medium=social&utm_campaign=launch",
	"gclid=Cj0KCQiA",
}

// visitMaker draws visits; one per goroutine (it holds a rand source).
type visitMaker struct {
	t     Traffic
	rng   *rand.Rand
	zipf  *rand.Zipf
	paths []string
	next  uint64
	id    string
}

func newVisitMaker(t Traffic, seed uint64, runID string, worker int) *visitMaker {
	rng := rand.New(rand.NewPCG(seed, uint64(worker)+1)) // #nosec G404 -- simulated traffic, not secrets
	paths := make([]string, t.Pages)
	sections := []string{"blog", "docs", "pricing", "product", "about", "guides"}
	paths[0] = "/"
	for i := 1; i < t.Pages; i++ {
		paths[i] = "/" + sections[i%len(sections)] + "/page-" + strconv.Itoa(i)
	}
	return &visitMaker{
		t: t, rng: rng, paths: paths,
		zipf: rand.NewZipf(rng, t.ZipfS, 1, uint64(t.Pages-1)),
		id:   runID + "." + strconv.Itoa(worker),
	}
}

func (m *visitMaker) page() string { return m.paths[m.zipf.Uint64()] }

// visit draws the next visit: a new visitor every time, so that each visit
// is exactly one session.
func (m *visitMaker) visit() Visit {
	m.next++
	v := Visit{
		Site:      m.t.Sites[m.rng.IntN(len(m.t.Sites))],
		Visitor:   "w" + m.id + "-v" + strconv.FormatUint(m.next, 10),
		UserAgent: userAgents[m.rng.IntN(len(userAgents))],
	}
	if m.rng.Float64() < m.t.BotShare {
		return m.crawl(v)
	}
	landing := Event{Name: "browser.page_view", Path: m.page(), Referrer: referrers[m.rng.IntN(len(referrers))]}
	if m.rng.Float64() < m.t.UTMShare {
		landing.Query = campaigns[m.rng.IntN(len(campaigns))]
	}
	v.Events = append(v.Events, landing, Event{Name: "browser.engagement", Path: landing.Path, EngagedMs: 1000 + m.rng.IntN(20000)})
	v.PageViews = 1
	if m.rng.Float64() < m.t.BounceShare {
		v.Bounce = true
		return v
	}
	// Pages beyond the first: geometric with the configured mean, at least one.
	p := 1 / (m.t.MeanPages - 1)
	more := 1 + int(math.Floor(math.Log(1-m.rng.Float64())/math.Log(1-p)))
	path := landing.Path
	for range more {
		next := m.page()
		v.Events = append(v.Events,
			Event{Name: "browser.page_view", Path: next, Referrer: "internal:" + path},
			Event{Name: "browser.engagement", Path: next, EngagedMs: 1000 + m.rng.IntN(60000)})
		if m.rng.Float64() < m.t.ClickShare {
			v.Events = append(v.Events, Event{Name: "browser.click", Path: next, Element: "outbound"})
		}
		path = next
		v.PageViews++
	}
	if m.rng.Float64() < m.t.SignupShare {
		v.Events = append(v.Events, Event{Name: "signup", Path: path})
	}
	return v
}

// crawl is a crawler's visit: one to five page views, no other event.
func (m *visitMaker) crawl(v Visit) Visit {
	v.Bot = true
	v.UserAgent = crawlerUserAgents[m.rng.IntN(len(crawlerUserAgents))]
	for range 1 + m.rng.IntN(5) {
		v.Events = append(v.Events, Event{Name: "browser.page_view", Path: m.page()})
		v.PageViews++
	}
	return v
}
