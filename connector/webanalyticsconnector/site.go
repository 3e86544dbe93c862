// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"strings"
	"time"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"
)

// maxCurrenciesPerSite bounds the currencies a site's revenue is broken
// down by; the currencies after the first ones count as "other". Each
// currency has a top K of its own in the revenue-by-source metrics.
const maxCurrenciesPerSite = 5

// siteState is everything kept per site. Its clock is its own: what one site
// sends can never move the windows of another.
type siteState struct {
	uniques    *uniques.Windows
	breakdowns map[breakdownKey]*breakdown
	// hourly caches the last-hour and today estimates between refreshes.
	hourly          uniques.Counts
	hourlyRefreshed time.Time
	// newest is the site's newest event time, never past the wall clock at
	// which it was seen (newestAt).
	newest, newestAt time.Time
	// currencies are the currencies the site's revenue is broken down by,
	// at most maxCurrenciesPerSite.
	currencies map[string]bool
}

// currency is the label a site's revenue in this currency goes under: the
// currency itself while the site has room for it, else "other".
func (s *siteState) currency(code string) string {
	if s.currencies[code] {
		return code
	}
	if len(s.currencies) >= maxCurrenciesPerSite {
		return otherValue
	}
	if s.currencies == nil {
		s.currencies = map[string]bool{}
	}
	s.currencies[strings.Clone(code)] = true
	return code
}

// see moves the site's clock to the event time at and returns the time the
// event counts at: never past the wall clock, so that a client's future
// timestamp can neither empty the site's windows nor fall outside them.
func (a *aggregator) see(site *siteState, at, now time.Time) time.Time {
	at = minTime(at, now)
	if at.After(site.newest) {
		site.newest, site.newestAt = at, now
	}
	if at.After(a.newest) {
		a.newest = at
	}
	return at
}

func minTime(a, b time.Time) time.Time {
	if a.After(b) {
		return b
	}
	return a
}

// windowEnd is the site's "now" in event time: its newest event time, moved
// on by the wall clock since it was seen, so that windows empty when traffic
// stops and a replay of old events is measured in its own time.
func (s *siteState) windowEnd(now time.Time) time.Time {
	if s.newest.IsZero() {
		return now
	}
	return s.newest.Add(max(0, now.Sub(s.newestAt)))
}

// refreshVisitors sets the site's visitor gauges: the last 5 minutes at
// every flush, the last hour and today every hourly_refresh_interval.
func (a *aggregator) refreshVisitors(c *counts, siteID string, site *siteState, now time.Time) {
	end := site.windowEnd(now)
	if site.hourlyRefreshed.IsZero() || now.Sub(site.hourlyRefreshed) >= a.cfg.HourlyRefreshInterval {
		site.hourly = site.uniques.Estimate(end)
		site.hourlyRefreshed = now
	}
	last5 := site.uniques.EstimateLast(end, 5)
	lastHour, today := containing(site, end, last5)
	a.put(c, siteID, site, visitors, float64(last5), "5m")
	a.put(c, siteID, site, visitors, float64(lastHour), "1h")
	a.put(c, siteID, site, visitors, float64(today), "today")
	minutes := int(a.cfg.CurrentVisitorsWindow / time.Minute)
	a.put(c, siteID, site, currentVisitors, float64(site.uniques.EstimateLast(end, minutes)))
}

// containing returns the last hour's and today's visitors at end, each at
// least the visitors of the shorter window it contains. They are refreshed
// less often than the 5 minutes (last5), and each sketch estimates on its
// own; today contains a window only when the window has not crossed
// midnight.
func containing(site *siteState, end time.Time, last5 uint64) (lastHour, today uint64) {
	lastHour = max(site.hourly.LastHour, last5)
	today = site.hourly.Today
	switch {
	case site.uniques.TodayHolds(end, time.Hour):
		today = max(today, lastHour)
	case site.uniques.TodayHolds(end, 5*time.Minute):
		today = max(today, last5)
	}
	return lastHour, today
}
