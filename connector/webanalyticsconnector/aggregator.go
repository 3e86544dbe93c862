// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadata"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/pathnorm"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/redelivery"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"
	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/sitezone"
)

const (
	otherValue   = "other"
	unknownValue = "unknown"
	// maxSites bounds the sites the connector keeps state for.
	maxSites = 10_000
)

// Reasons a record is not counted.
const (
	skippedMissingSite    = "missing_site"
	skippedMissingVisitor = "missing_visitor"
	skippedDuplicateGoal  = "duplicate_goal"
	skippedTooManySites   = "too_many_sites"
	// skippedUntrustedSession: a session.start or session.end that the
	// sessionize processor did not make (wrong scope).
	skippedUntrustedSession = "untrusted_session_record"
	// skippedInvalidMeasure: a value that is not a finite number in its
	// range (schema.Measures); the rest of the record is counted.
	skippedInvalidMeasure = "invalid_measure"
	// skippedRedelivered: a batch counted already, delivered again because
	// a sibling consumer of a fan-out refused it.
	skippedRedelivered = "redelivered"
	// skippedInvalidProperty: a configured custom property whose value
	// cannot be a label (attr.Label); the rest of the record is counted.
	skippedInvalidProperty = "invalid_property"
	// skippedInvalidFunnelStep: a footfall.session.funnel_steps entry that
	// is not a step the sessionize processor can write.
	skippedInvalidFunnelStep = "invalid_funnel_step"
	// skippedSumOverflow: a value that would make its series' sum no
	// longer a finite number.
	skippedSumOverflow = "sum_overflow"
)

// maxCurrenciesPerSite bounds the currencies a site's revenue is broken
// down by; the currencies after the first ones count as "other". Each
// currency has a top K of its own in the revenue-by-source metrics.
const maxCurrenciesPerSite = 5

// recentBatches is how many batch fingerprints are remembered to recognise
// a redelivery; the sessionize processor redelivers only its oldest
// undelivered batch.
const recentBatches = 64

// counts is what one consume or flush did, for the self-telemetry.
type counts struct {
	late, dropped, retired int
	skipped                map[string]int
}

// aggregator is the connector's state. It is not safe for concurrent use:
// the connector's mutex owns it.
type aggregator struct {
	cfg   *Config
	zones sitezone.Zones
	paths *pathnorm.Normalizer
	goals map[string]bool
	// properties are the custom properties broken down, by event name.
	properties map[string][]string
	store      *store
	sites      map[string]*siteState
	revenue    *dedup.Cache
	recent     *redelivery.Memory
	// newest is the newest event time seen of any site, never past the wall
	// clock; it only expires the revenue dedup memory.
	newest time.Time
}

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

func newAggregator(cfg *Config) (*aggregator, error) {
	paths, err := pathnorm.New(cfg.pathRules(), maxPathSegments, maxPathBytes)
	if err != nil {
		return nil, err
	}
	goals := map[string]bool{}
	for _, g := range cfg.Goals {
		goals[g] = true
	}
	zones, _ := cfg.zones() // Validate refused a zone that cannot load
	return &aggregator{
		cfg: cfg, zones: zones, paths: paths, goals: goals, properties: cfg.Properties, store: newStore(cfg.MaxSeries, cfg.MaxSeriesPerSite, min(cfg.MaxSeriesPerSite/2, coreSeriesBound(cfg.TopK))), sites: map[string]*siteState{},
		revenue: dedup.New(cfg.RevenueDedupWindow, cfg.RevenueDedupMaxEntries, nil),
		recent:  redelivery.New(recentBatches),
	}, nil
}

func (a *aggregator) site(id string) *siteState {
	if s, ok := a.sites[id]; ok {
		return s
	}
	if len(a.sites) >= maxSites {
		return nil
	}
	s := &siteState{uniques: uniques.New(a.zones.Of(id)), breakdowns: map[breakdownKey]*breakdown{}}
	a.sites[strings.Clone(id)] = s
	return s
}

// consume counts the records of ld, as seen at wall-clock time now. A batch
// counted before is not counted again.
func (a *aggregator) consume(ld plog.Logs, now time.Time) counts {
	c := counts{skipped: map[string]int{}}
	if n := ld.LogRecordCount(); n > 0 && a.recent.Seen(redelivery.Fingerprint(ld)) {
		c.skipped[skippedRedelivered] += n
		return c
	}
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				a.record(res, sl.Scope(), lr, now, &c)
			}
		}
	}
	return c
}

func (a *aggregator) record(res pcommon.Map, scope pcommon.InstrumentationScope, lr plog.LogRecord, now time.Time, c *counts) {
	attrs := lr.Attributes()
	siteID := attr.Lookup(res, attrs, schema.AttrSiteID)
	visitor := attr.Lookup(res, attrs, schema.AttrVisitorID)
	switch {
	case siteID == "":
		c.skipped[skippedMissingSite]++
		return
	case visitor == "":
		c.skipped[skippedMissingVisitor]++
		return
	}
	site := a.site(siteID)
	if site == nil {
		c.skipped[skippedTooManySites]++
		return
	}
	name := schema.EventName(lr)
	if schema.KindOf(scope, lr) == schema.KindForgedSession {
		c.skipped[skippedUntrustedSession]++
		return
	}
	if reason := schema.BotReasonOf(attrs); reason != "" {
		// A bot's events, and the start and end of its sessions, count
		// nowhere else; its events count here.
		if !schema.IsReservedEventName(name) {
			a.add(c, botEvents, siteID, 1, reason)
		}
		return
	}
	at := lr.Timestamp().AsTime()
	if lr.Timestamp() == 0 {
		at = lr.ObservedTimestamp().AsTime()
	}
	at = a.see(c, site, at, now)
	switch name {
	case schema.EventSessionStart:
		a.add(c, sessions, siteID, 1)
		if returning, ok := attrs.Get(schema.AttrSessionReturning); ok && returning.Type() == pcommon.ValueTypeBool {
			visitorType := "new"
			if returning.Bool() {
				visitorType = "returning"
			}
			a.add(c, sessionsByVisitorType, siteID, 1, visitorType)
		}
		return
	case schema.EventSessionEnd:
		a.sessionEnd(c, siteID, site, attrs)
		return
	}
	site.uniques.Add(visitor, at)
	a.countBreakdown(c, eventsByName, siteID, site, name)
	path := a.paths.Normalize(attr.Str(attrs, schema.AttrURLPath))
	if seq, ok := attrs.Get(schema.AttrSessionSeq); ok && seq.Int() == 1 {
		a.sessionStartBreakdowns(c, siteID, site, attrs)
	}
	switch name {
	case schema.EventPageView:
		a.add(c, pageViews, siteID, 1)
		a.countBreakdown(c, pageViewsByPath, siteID, site, path)
	case schema.EventClick:
		element := attr.Str(attrs, schema.AttrClickElement)
		if element == "" {
			element = unknownValue
		}
		a.countBreakdown(c, clicks, siteID, site, path, element)
	case schema.EventEngagement:
		if ms, ok := measure(c, attrs, schema.AttrEngagementTimeMs); ok {
			a.observeBreakdown(c, engagedTime, siteID, site, ms/1000, path)
		}
	case schema.EventWebVital:
		a.webVital(c, siteID, site, attrs, path)
	}
	if a.goals[name] {
		a.goal(c, siteID, site, name, attrs, at)
	}
	if len(a.properties) > 0 {
		a.countProperties(c, siteID, site, name, attrs)
	}
	if steps, ok := attrs.Get(schema.AttrSessionFunnelSteps); ok {
		a.funnelSteps(c, siteID, steps)
	}
}

// funnelSteps counts the funnel steps the sessionize processor says the
// event did: each is one session reaching that step, once.
func (a *aggregator) funnelSteps(c *counts, siteID string, steps pcommon.Value) {
	if steps.Type() != pcommon.ValueTypeMap {
		c.skipped[skippedInvalidFunnelStep]++
		return
	}
	for funnel, step := range steps.Map().All() {
		if step.Type() != pcommon.ValueTypeInt || step.Int() < 1 || step.Int() > schema.MaxFunnelSteps ||
			funnel == "" || len(funnel) > attr.MaxLabelBytes || !utf8.ValidString(funnel) {
			c.skipped[skippedInvalidFunnelStep]++
			continue
		}
		a.add(c, funnelSessions, siteID, 1, funnel, strconv.Itoa(int(step.Int())))
	}
}

// countProperties counts the event under the value of each of its
// configured custom properties that it carries.
func (a *aggregator) countProperties(c *counts, siteID string, site *siteState, name string, attrs pcommon.Map) {
	for _, key := range a.properties[name] {
		v, ok := attrs.Get(key)
		if !ok {
			continue
		}
		value, ok := attr.Label(v)
		if !ok {
			c.skipped[skippedInvalidProperty]++
			continue
		}
		a.countBreakdown(c, eventsByProperty, siteID, site, name, key, value)
	}
}

// see moves the site's clock to the event time at and returns the time the
// event counts at: never past the wall clock, so that a client's future
// timestamp can neither empty the site's windows nor fall outside them. An
// event older than the site's newest minus allowed_lateness is late.
func (a *aggregator) see(c *counts, site *siteState, at, now time.Time) time.Time {
	if !site.newest.IsZero() && at.Before(site.newest.Add(-a.cfg.AllowedLateness)) {
		c.late++
	}
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

// measure reads a measure, counting it when it is present but invalid.
func measure(c *counts, attrs pcommon.Map, key string) (float64, bool) {
	v, status := attr.Measure(attrs, key)
	if status == attr.MeasureInvalid {
		c.skipped[skippedInvalidMeasure]++
	}
	return v, status == attr.MeasureValid
}

func (a *aggregator) sessionStartBreakdowns(c *counts, siteID string, site *siteState, attrs pcommon.Map) {
	a.countBreakdown(c, sessionsByReferrer, siteID, site, orUnknown(attr.Str(attrs, schema.AttrReferrerClass)), orUnknown(attr.Str(attrs, schema.AttrReferrerSource)))
	source, medium, campaign := attr.Str(attrs, schema.AttrUTMSource), attr.Str(attrs, schema.AttrUTMMedium), attr.Str(attrs, schema.AttrUTMCampaign)
	if source != "" || medium != "" || campaign != "" {
		a.countBreakdown(c, sessionsByCampaign, siteID, site, orUnknown(source), orUnknown(medium), orUnknown(campaign))
	}
	a.countBreakdown(c, sessionsByCountry, siteID, site, orUnknown(attr.Str(attrs, schema.AttrGeoCountry)))
	a.countBreakdown(c, sessionsByDevice, siteID, site, orUnknown(attr.Str(attrs, schema.AttrDeviceType)))
	a.countBreakdown(c, sessionsByBrowser, siteID, site, orUnknown(attr.Str(attrs, schema.AttrUserAgentName)))
}

func (a *aggregator) sessionEnd(c *counts, siteID string, site *siteState, attrs pcommon.Map) {
	reason := attr.Str(attrs, schema.AttrSessionEndReason)
	if !schema.IsEndReason(reason) {
		reason = unknownValue
	}
	a.add(c, sessionsEnded, siteID, 1, reason)
	if b, ok := attrs.Get(schema.AttrSessionBounce); ok && b.Bool() {
		a.add(c, bounces, siteID, 1)
	}
	if ms, ok := measure(c, attrs, schema.AttrSessionDurationMs); ok {
		a.observe(c, sessionDuration, siteID, ms/1000)
	}
	if pv, ok := measure(c, attrs, schema.AttrSessionPageViews); ok {
		a.observe(c, sessionPageViews, siteID, pv)
	}
	if entry := attr.Str(attrs, schema.AttrSessionEntryPage); entry != "" {
		a.countBreakdown(c, entries, siteID, site, a.paths.Normalize(entry))
	}
	if exit := attr.Str(attrs, schema.AttrSessionExitPage); exit != "" {
		a.countBreakdown(c, exits, siteID, site, a.paths.Normalize(exit))
	}
	a.attributeConversions(c, siteID, site, attrs)
}

// attributeConversions counts an ended session under its first touch (the
// referrer and campaign of its first page view, as the sessionize processor
// reports them on session.end): once as a session, once for each goal it
// reached, and its goal values. Conversion rate by source is the second
// divided by the first.
func (a *aggregator) attributeConversions(c *counts, siteID string, site *siteState, attrs pcommon.Map) {
	touch := firstTouchOf(attrs)
	a.countBreakdown(c, sessionsEndedByReferrer, siteID, site, touch.class, touch.source)
	if touch.campaigned {
		a.countBreakdown(c, sessionsEndedByCampaign, siteID, site, touch.utmSource, touch.medium, touch.campaign)
	}
	a.attributeRevenue(c, siteID, site, attrs, touch)
	goals, ok := attrs.Get(schema.AttrSessionGoals)
	if !ok || goals.Type() != pcommon.ValueTypeSlice {
		return
	}
	for _, g := range goals.Slice().All() {
		goal := g.AsString()
		if !a.goals[goal] {
			continue // only the goals configured here: their number is bounded
		}
		a.countBreakdown(c, conversionsByReferrer, siteID, site, goal, touch.class, touch.source)
		if touch.campaigned {
			a.countBreakdown(c, conversionsByCampaign, siteID, site, goal, touch.utmSource, touch.medium, touch.campaign)
		}
	}
}

// firstTouch is the source of a session's first page view, as labels.
type firstTouch struct {
	class, source, utmSource, medium, campaign string
	// campaigned is set when the page view had UTM parameters.
	campaigned bool
}

func firstTouchOf(attrs pcommon.Map) firstTouch {
	utmSource, medium, campaign := attr.Str(attrs, schema.AttrUTMSource), attr.Str(attrs, schema.AttrUTMMedium), attr.Str(attrs, schema.AttrUTMCampaign)
	return firstTouch{
		class:      orUnknown(attr.Str(attrs, schema.AttrReferrerClass)),
		source:     orUnknown(attr.Str(attrs, schema.AttrReferrerSource)),
		utmSource:  orUnknown(utmSource),
		medium:     orUnknown(medium),
		campaign:   orUnknown(campaign),
		campaigned: utmSource != "" || medium != "" || campaign != "",
	}
}

// attributeRevenue adds the session's goal values, per currency, to its
// first touch. A currency outside ISO 4217 or an amount that is not a
// valid goal value is skipped and counted: only the sessionize processor
// writes the attribute, so neither happens unless something upstream is
// broken.
func (a *aggregator) attributeRevenue(c *counts, siteID string, site *siteState, attrs pcommon.Map, touch firstTouch) {
	sums, ok := attrs.Get(schema.AttrSessionRevenue)
	if !ok || sums.Type() != pcommon.ValueTypeMap {
		return
	}
	for currency, amount := range sums.Map().All() {
		value, valid := goalAmount(amount)
		if !valid || !schema.IsCurrency(currency) {
			c.skipped[skippedInvalidMeasure]++
			continue
		}
		currency = site.currency(currency)
		a.addBreakdown(c, revenueByReferrer, siteID, site, value, currency, touch.class, touch.source)
		if touch.campaigned {
			a.addBreakdown(c, revenueByCampaign, siteID, site, value, currency, touch.utmSource, touch.medium, touch.campaign)
		}
	}
}

// goalAmount reads one currency's sum of goal values.
func goalAmount(v pcommon.Value) (float64, bool) {
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	default:
		return 0, false
	}
	return f, schema.Measures[schema.AttrGoalValue].Contains(f)
}

func (a *aggregator) webVital(c *counts, siteID string, site *siteState, attrs pcommon.Map, path string) {
	v, ok := measure(c, attrs, schema.AttrWebVitalValue)
	if !ok {
		return
	}
	switch strings.ToUpper(attr.Str(attrs, schema.AttrWebVitalName)) {
	case "LCP":
		a.observeBreakdown(c, webVitalLCP, siteID, site, v/1000, path)
	case "INP":
		a.observeBreakdown(c, webVitalINP, siteID, site, v/1000, path)
	case "CLS":
		a.observeBreakdown(c, webVitalCLS, siteID, site, v, path)
	}
}

// goal counts a conversion and its value once per event id: a goal event
// replayed after a crash upstream must never double revenue.
func (a *aggregator) goal(c *counts, siteID string, site *siteState, goal string, attrs pcommon.Map, at time.Time) {
	if id := attr.Str(attrs, schema.AttrEventID); id != "" && a.revenue.Seen(siteID, id, at) {
		c.skipped[skippedDuplicateGoal]++
		return
	}
	a.add(c, goalConversions, siteID, 1, goal)
	value, ok := measure(c, attrs, schema.AttrGoalValue)
	if !ok {
		return
	}
	currency := strings.ToUpper(attr.Str(attrs, schema.AttrGoalCurrency))
	if schema.IsCurrency(currency) {
		currency = site.currency(currency)
	} else {
		currency = unknownValue
	}
	a.add(c, revenue, siteID, value, goal, currency)
}

func (a *aggregator) add(c *counts, def *metricDef, site string, v float64, values ...string) {
	s := a.store.get(def, site, values...)
	if s == nil {
		c.dropped++
		return
	}
	if !s.add(v) {
		c.skipped[skippedSumOverflow]++
	}
}

func (a *aggregator) observe(c *counts, def *metricDef, site string, v float64, values ...string) {
	s := a.store.get(def, site, values...)
	if s == nil {
		c.dropped++
		return
	}
	if !s.observe(v) {
		c.skipped[skippedSumOverflow]++
	}
}

// countBreakdown adds one to the series of values, or of other.
func (a *aggregator) countBreakdown(c *counts, def *metricDef, siteID string, site *siteState, values ...string) {
	a.addBreakdown(c, def, siteID, site, 1, values...)
}

// addBreakdown adds v to the series of values, or of other.
func (a *aggregator) addBreakdown(c *counts, def *metricDef, siteID string, site *siteState, v float64, values ...string) {
	a.add(c, def, siteID, v, site.breakdown(def, a.cfg.TopK, values).label(values)...)
}

func (a *aggregator) observeBreakdown(c *counts, def *metricDef, siteID string, site *siteState, v float64, values ...string) {
	a.observe(c, def, siteID, v, site.breakdown(def, a.cfg.TopK, values).label(values)...)
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

// metrics refreshes the breakdowns and the visitor gauges and renders every series.
func (a *aggregator) metrics(start, now time.Time) (pmetric.Metrics, counts) {
	c := counts{skipped: map[string]int{}}
	minutes := int(a.cfg.CurrentVisitorsWindow / time.Minute)
	for siteID, site := range a.sites {
		end := site.windowEnd(now)
		for key, b := range site.breakdowns {
			for _, retired := range b.refresh() {
				if a.store.remove(key.def, siteID, retired) {
					c.retired++
				}
			}
		}
		if site.hourlyRefreshed.IsZero() || now.Sub(site.hourlyRefreshed) >= a.cfg.HourlyRefreshInterval {
			site.hourly = site.uniques.Estimate(end)
			site.hourlyRefreshed = now
		}
		last5 := site.uniques.EstimateLast(end, 5)
		lastHour, today := containing(site, end, last5)
		a.set(&c, visitors, siteID, float64(last5), "5m")
		a.set(&c, visitors, siteID, float64(lastHour), "1h")
		a.set(&c, visitors, siteID, float64(today), "today")
		a.set(&c, currentVisitors, siteID, float64(site.uniques.EstimateLast(end, minutes)))
	}
	if !a.newest.IsZero() {
		a.revenue.Expire(a.newest)
	}
	return a.store.metrics(allMetrics, metadata.ScopeName, pcommon.NewTimestampFromTime(start), pcommon.NewTimestampFromTime(now)), c
}

func (a *aggregator) set(c *counts, def *metricDef, site string, v float64, values ...string) {
	s := a.store.get(def, site, values...)
	if s == nil {
		c.dropped++
		return
	}
	s.value = v
}

// breakdown bounds one metric's label values for one site (and, for a
// scoped metric, one value of its scoping labels): the values among the top
// K of a space-saving sketch (capacity 4K) have series of their own, the
// rest count as other. Until K values are reported, a new value gets a
// series at once; every flush, refresh makes the reported values the
// sketch's current top K.
type breakdown struct {
	k int
	// scoped is how many leading label values name the breakdown's scope;
	// they are kept when the rest become other.
	scoped   int
	sketch   *topk.SpaceSaving
	reported map[string]bool
}

// breakdownKey names one breakdown of a site: a metric, and the values of
// its scoping labels (none for most metrics).
type breakdownKey struct {
	def   *metricDef
	scope string
}

func (s *siteState) breakdown(def *metricDef, k int, values []string) *breakdown {
	key := breakdownKey{def: def}
	if def.scoped > 0 {
		key.scope = joinValues(values[:def.scoped])
	}
	b, ok := s.breakdowns[key]
	if !ok {
		b = newBreakdown(def, k, topk.New(4*k))
		s.breakdowns[key] = b
	}
	return b
}

func newBreakdown(def *metricDef, k int, sketch *topk.SpaceSaving) *breakdown {
	return &breakdown{k: k, scoped: def.scoped, sketch: sketch, reported: map[string]bool{}}
}

// label returns the label values to count an observation under.
func (b *breakdown) label(values []string) []string {
	key := joinValues(values)
	b.sketch.Observe(key, 1)
	if b.reported[key] {
		return values
	}
	if len(b.reported) < b.k {
		b.reported[strings.Clone(key)] = true
		return values
	}
	other := make([]string, len(values))
	for i := range other {
		other[i] = otherValue
	}
	copy(other, values[:b.scoped])
	return other
}

// refresh makes the reported values the sketch's top K and returns the
// values (joined) whose series must stop.
func (b *breakdown) refresh() []string {
	// Rank by guaranteed count (count minus its possible overestimate): a
	// value that just displaced another inherits that one's count.
	entries := b.sketch.Top(b.sketch.Len())
	slices.SortFunc(entries, func(x, y topk.Entry) int {
		return cmp.Or(cmp.Compare(y.Count-y.Error, x.Count-x.Error), strings.Compare(x.Key, y.Key))
	})
	next := make(map[string]bool, b.k)
	for _, e := range entries[:min(b.k, len(entries))] {
		next[e.Key] = true
	}
	var retired []string
	for key := range b.reported {
		if !next[key] {
			retired = append(retired, key)
		}
	}
	b.reported = next
	return retired
}

func orUnknown(s string) string {
	if s == "" {
		return unknownValue
	}
	return s
}
