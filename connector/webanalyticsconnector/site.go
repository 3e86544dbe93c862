// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// maxCurrenciesPerSite bounds the currencies a site's revenue is broken
// down by; the currencies after the first ones count as "other". Each
// currency has a top K of its own in the revenue-by-source metrics.
const maxCurrenciesPerSite = 5

// siteState is everything kept per site. Its clock is its own: what one site
// sends can never move the windows of another.
type siteState struct {
	// zone is the name of the site's time zone as the sessionize processor
	// names it on the records (schema.AttrSiteTimeZone); empty until known.
	zone       string
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
	// changed: a record counted for the site, or a breakdown refreshed to
	// other values, since the last save (delta.go).
	changed bool
}

// followZone takes the site's time zone from a record's resource, where
// the sessionize processor names it: the zones are configured there alone.
func (s *siteState) followZone(res pcommon.Map) {
	v, ok := res.Get(schema.AttrSiteTimeZone)
	if !ok || v.Type() != pcommon.ValueTypeStr || v.Str() == s.zone {
		return
	}
	s.setZone(v.Str())
}

// setZone counts the site's "today" in the zone named; a zone that cannot
// be loaded leaves the one before (the processor names only zones it
// loaded). A change from a known zone starts today again.
func (s *siteState) setZone(name string) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return
	}
	if s.zone != "" {
		s.uniques.RestartToday()
	}
	s.zone = strings.Clone(name)
	s.uniques.SetLocation(loc)
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
