// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/botrules"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/privacy"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/referrer"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/useragent"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/visitor"
)

// Limits bound what one event may carry.
type Limits struct {
	MaxAttributes     int
	MaxValueLength    int
	MaxEventNameBytes int
	MaxEventIDBytes   int
	// MaxResourceBytes bounds one resource's attributes, and one scope's
	// name, version and attributes: they are copied to every group.
	MaxResourceBytes int
	// MaxUserAgentBytes is how much of the User-Agent header is parsed,
	// hashed and stored.
	MaxUserAgentBytes int
	// MaxKeyBytes bounds every attribute key: of a record, a resource, a
	// scope, and every key nested in a map value.
	MaxKeyBytes int
	// MaxEventBytes bounds what one event carries once decoded: its name,
	// attribute keys and values (nested ones included) and body. It is
	// what reaches the write-ahead log, Kafka, Elasticsearch and the archive.
	MaxEventBytes int
}

// maxScopeField bounds a scope's name and version.
const maxScopeField = 256

// Request is what the HTTP layer knows of the request that carried the events.
type Request struct {
	// Origin is the Origin header, or the origin of the Referer header when
	// Origin is absent; empty when the request had neither.
	Origin    string
	UserAgent string
	// ClientHints is the Sec-CH-UA header.
	ClientHints string
	ClientIP    netip.Addr
	// SiteHint is the "site" query parameter, for clients that cannot set attributes.
	SiteHint string
	Received time.Time
	// Format is the payload the events came in (footfall.ingest.format).
	Format string
}

// Enricher is safe for concurrent use.
type Enricher struct {
	Sites     *sites.Registry
	UserAgent *useragent.Parser
	Geo       *geoip.DB
	Visitors  *visitor.Hasher
	Limits    Limits
	// Bots are the rules besides the User-Agent list; KeepBots flags bots'
	// events instead of dropping them.
	Bots     *botrules.Rules
	KeepBots bool
	NewID    func() string
	// URLs scrubs the stored URLs (page, referrer, link) of query
	// parameters outside the allow-list, fragments and user info.
	URLs *privacy.URLScrubber
	// StoreUserAgent keeps the (capped) User-Agent in user_agent.original.
	StoreUserAgent bool
}

// Result is the outcome for one request.
type Result struct {
	Logs     plog.Logs
	Accepted int
	Rejected map[Reason]int
	// Messages says what was wrong with the first few rejected records.
	Messages []string
	// Bots counts the events judged a bot's, dropped or flagged.
	Bots map[BotCount]int
}

// BotCount is a site and the reason its events were judged a bot's.
type BotCount struct {
	Site, Reason string
}

const maxMessages = 5

// RejectedCount is the number of records refused for any reason.
func (r *Result) RejectedCount() int {
	n := 0
	for _, c := range r.Rejected {
		n += c
	}
	return n
}

// Add counts n records refused before enrichment, with their messages.
func (r *Result) Add(reason Reason, n int, messages []string) {
	if n == 0 {
		return
	}
	if r.Rejected == nil {
		r.Rejected = map[Reason]int{}
	}
	r.Rejected[reason] += n
	for _, m := range messages {
		if len(r.Messages) < maxMessages {
			r.Messages = append(r.Messages, m)
		}
	}
}

func (r *Result) reject(reason Reason, n int, format string, args ...any) {
	if n == 0 {
		return
	}
	if r.Rejected == nil {
		r.Rejected = map[Reason]int{}
	}
	r.Rejected[reason] += n
	if len(r.Messages) < maxMessages && format != "" {
		r.Messages = append(r.Messages, fmt.Sprintf(format, args...))
	}
}

// requestFacts are computed once per request, not once per event.
type requestFacts struct {
	req      Request
	ua       useragent.Info
	geo      geoip.Location
	visitors map[string]string // site id -> visitor id
	// clientIDs caches the keyed hash of each (site, anonymous id): a
	// request carries several events of one visitor.
	clientIDs map[[2]string]string
	// botReason is the request's bot verdict ("" for a person); records are
	// still checked first, so that a wrong site or a bad event is reported
	// even to an automated sender.
	botReason string
}

// Enrich checks every record of in and returns the accepted ones, enriched and
// grouped into one resource per (site, visitor). Records are moved out of in.
func (e *Enricher) Enrich(ctx context.Context, req Request, in plog.Logs) Result {
	res := Result{Logs: plog.NewLogs()}
	req.UserAgent = attr.TruncateUTF8(req.UserAgent, e.Limits.MaxUserAgentBytes)
	facts := requestFacts{req: req, ua: e.UserAgent.Parse(req.UserAgent), visitors: map[string]string{}}
	facts.botReason = e.Bots.Request(facts.ua.Bot, req.ClientHints, req.ClientIP)
	if facts.botReason == "" || e.KeepBots {
		facts.geo = e.Geo.Lookup(req.ClientIP)
	}

	out := newGrouper(res.Logs)
	index := 0
	for _, rl := range in.ResourceLogs().All() {
		resourceSite, _ := attr.StrOK(rl.Resource().Attributes(), schema.AttrSiteID)
		resourceMsg := e.checkResource(rl.Resource())
		for _, sl := range rl.ScopeLogs().All() {
			containerMsg := resourceMsg
			if containerMsg == "" {
				containerMsg = e.checkScope(sl.Scope())
			}
			for _, lr := range sl.LogRecords().All() {
				reason, msg := ReasonInvalidEvent, containerMsg
				if containerMsg == "" {
					reason, msg = e.enrichRecord(ctx, &facts, &res, resourceSite, rl.Resource(), sl.Scope(), lr, out)
				}
				switch {
				case reason == ReasonBot:
					res.reject(reason, 1, "")
				case reason != "":
					res.reject(reason, 1, "log record %d: %s", index, msg)
				default:
					res.Accepted++
				}
				index++
			}
		}
	}
	return res
}

func (e *Enricher) enrichRecord(ctx context.Context, facts *requestFacts, res *Result, resourceSite string, resource pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord, out *grouper) (Reason, string) {
	attrs := lr.Attributes()
	name := lr.EventName()
	if name == "" {
		name, _ = attr.StrOK(attrs, schema.AttrEventNameLegacy)
	}
	name = openTelemetryEventName(name, attrs)
	if msg := e.checkEventName(name); msg != "" {
		return ReasonInvalidEvent, msg
	}
	if msg := e.checkValues(lr); msg != "" {
		return ReasonInvalidEvent, msg
	}
	if msg := checkMeasures(attrs); msg != "" {
		return ReasonInvalidEvent, msg
	}

	site, reason, msg := e.resolveSite(facts.req, resourceSite, attrs)
	if reason != "" {
		return reason, msg
	}

	page, msg := pageURL(attrs, name)
	if msg != "" {
		return ReasonInvalidEvent, msg
	}
	eventID, generated, msg := e.eventID(attrs)
	if msg != "" {
		return ReasonInvalidEvent, msg
	}

	botReason := e.botReason(facts, name, attrs)
	if botReason != "" {
		res.countBot(site.ID, botReason)
		if !e.KeepBots {
			return ReasonBot, ""
		}
	}
	visitorID, idSource := e.visitorID(ctx, facts, site, attrs)
	dest := out.record(site.ID, visitorID, idSource, resource, scope)
	lr.MoveTo(dest)
	dest.SetEventName(name)
	e.addDerived(facts, site, dest, name, page, eventID, generated)
	if botReason != "" {
		dest.Attributes().PutStr(schema.AttrUserAgentSynthetic, schema.SyntheticBot)
		dest.Attributes().PutStr(schema.AttrBotReason, botReason)
	}
	return "", ""
}

// botReason is the request's bot verdict, or for a person's page view,
// whether its referrer is spam.
func (e *Enricher) botReason(facts *requestFacts, name string, attrs pcommon.Map) string {
	if facts.botReason != "" || name != schema.EventPageView {
		return facts.botReason
	}
	ref, ok := attr.StrOK(attrs, schema.AttrReferrer)
	if !ok || ref == "" {
		return ""
	}
	return e.Bots.Referrer(ref)
}

func (r *Result) countBot(site, reason string) {
	if r.Bots == nil {
		r.Bots = map[BotCount]int{}
	}
	r.Bots[BotCount{Site: site, Reason: reason}]++
}

func (e *Enricher) checkEventName(name string) string {
	switch {
	case name == "":
		return "event name is missing (set LogRecord.event_name, e.g. browser.page_view)"
	case len(name) > e.Limits.MaxEventNameBytes:
		return fmt.Sprintf("event name is longer than %d bytes", e.Limits.MaxEventNameBytes)
	case !utf8.ValidString(name):
		return "event name is not valid UTF-8"
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "event name contains control characters"
	case schema.IsReservedEventName(name):
		return fmt.Sprintf("event name %s is reserved: only the sessionize processor makes it", attr.Quote(name))
	}
	return ""
}

// checkMeasures refuses an event whose numbers would poison a sum: every
// measure of schema.Measures it carries must be a finite number in range.
func checkMeasures(attrs pcommon.Map) string {
	for key := range attrs.All() {
		if !strings.HasPrefix(key, schema.MeasurePrefix) {
			continue // cheaper than the map look-up, for the many keys that are no measure
		}
		r, isMeasure := schema.Measures[key]
		if !isMeasure {
			continue
		}
		if _, status := attr.Measure(attrs, key); status == attr.MeasureInvalid {
			return fmt.Sprintf("attribute %s must be a finite number from %g to %g", key, r.Min, r.Max)
		}
	}
	return ""
}

// checkResource applies the attribute limits to a resource: it is copied
// to every (site, visitor) group, so it bounds what a request grows into.
func (e *Enricher) checkResource(resource pcommon.Resource) string {
	if msg := e.checkContainerAttributes(resource.Attributes()); msg != "" {
		return "resource: " + msg
	}
	return ""
}

// checkScope applies the same limits to a scope, and refuses the scope
// names only the pipeline may use.
func (e *Enricher) checkScope(scope pcommon.InstrumentationScope) string {
	name, version := scope.Name(), scope.Version()
	switch {
	case schema.IsReservedScope(name):
		return fmt.Sprintf("scope name %s is reserved for the sessionize processor", attr.Quote(name))
	case len(name) > maxScopeField || len(version) > maxScopeField:
		return fmt.Sprintf("scope name and version must be at most %d bytes each", maxScopeField)
	case !utf8.ValidString(name) || !utf8.ValidString(version):
		return "scope name or version is not valid UTF-8"
	}
	if msg := e.checkContainerAttributes(scope.Attributes()); msg != "" {
		return "scope: " + msg
	}
	if len(name)+len(version)+attributeBytes(scope.Attributes()) > e.Limits.MaxResourceBytes {
		return fmt.Sprintf("scope is larger than %d bytes", e.Limits.MaxResourceBytes)
	}
	return ""
}

func (e *Enricher) checkContainerAttributes(attrs pcommon.Map) string {
	if n := attrs.Len(); n > e.Limits.MaxAttributes {
		return fmt.Sprintf("has %d attributes, more than the limit of %d", n, e.Limits.MaxAttributes)
	}
	if size := attributeBytes(attrs); size > e.Limits.MaxResourceBytes {
		return fmt.Sprintf("attributes take %d bytes, more than the limit of %d", size, e.Limits.MaxResourceBytes)
	}
	budget := e.Limits.MaxAttributes - attrs.Len()
	for k, v := range attrs.All() {
		if msg := e.checkKey(k); msg != "" {
			return msg
		}
		if msg := e.checkValue(k, v, &budget, 0); msg != "" {
			return msg
		}
	}
	return ""
}

// checkKey refuses a key that is too long or not UTF-8: a key is stored
// with every copy of its event as much as a value is.
func (e *Enricher) checkKey(k string) string {
	if len(k) > e.Limits.MaxKeyBytes {
		return fmt.Sprintf("attribute key %s is longer than %d bytes", attr.Quote(k), e.Limits.MaxKeyBytes)
	}
	if !utf8.ValidString(k) {
		return "attribute key is not valid UTF-8"
	}
	return ""
}

// attributeBytes is about what attrs take once encoded: keys, strings and
// bytes, and a word for every other value.
func attributeBytes(attrs pcommon.Map) int {
	n := 0
	for k, v := range attrs.All() {
		n += len(k) + valueBytes(v)
	}
	return n
}

func valueBytes(v pcommon.Value) int {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return len(v.Str())
	case pcommon.ValueTypeBytes:
		return v.Bytes().Len()
	case pcommon.ValueTypeMap:
		return attributeBytes(v.Map())
	case pcommon.ValueTypeSlice:
		n := 0
		for _, item := range v.Slice().All() {
			n += valueBytes(item)
		}
		return n
	}
	return 8
}

// checkValues bounds the number and size of attribute values and insists on
// valid UTF-8, which the protobuf decoder does not check.
func (e *Enricher) checkValues(lr plog.LogRecord) string {
	if n := lr.Attributes().Len(); n > e.Limits.MaxAttributes {
		return fmt.Sprintf("has %d attributes, more than the limit of %d", n, e.Limits.MaxAttributes)
	}
	// Nested values spend the same budget as top-level attributes.
	budget := e.Limits.MaxAttributes - lr.Attributes().Len()
	for k, v := range lr.Attributes().All() {
		if msg := e.checkKey(k); msg != "" {
			return msg
		}
		if msg := e.checkValue(k, v, &budget, 0); msg != "" {
			return msg
		}
	}
	if msg := e.checkValue("body", lr.Body(), &budget, 0); msg != "" {
		return msg
	}
	// Each value within its limit can still add up: the event as a whole
	// has a budget, nested keys included.
	if size := attributeBytes(lr.Attributes()) + valueBytes(lr.Body()); size > e.Limits.MaxEventBytes {
		return fmt.Sprintf("the event's attributes and body take %d bytes, more than the limit of %d", size, e.Limits.MaxEventBytes)
	}
	return ""
}

const maxNesting = 4

func (e *Enricher) checkValue(key string, v pcommon.Value, budget *int, depth int) string {
	if depth > maxNesting {
		return fmt.Sprintf("attribute %s nests deeper than %d levels", attr.Quote(key), maxNesting)
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		if len(s) > e.Limits.MaxValueLength {
			return fmt.Sprintf("attribute %s is longer than %d bytes", attr.Quote(key), e.Limits.MaxValueLength)
		}
		if !utf8.ValidString(s) {
			return fmt.Sprintf("attribute %s is not valid UTF-8", attr.Quote(key))
		}
	case pcommon.ValueTypeBytes:
		if v.Bytes().Len() > e.Limits.MaxValueLength {
			return fmt.Sprintf("attribute %s is longer than %d bytes", attr.Quote(key), e.Limits.MaxValueLength)
		}
	case pcommon.ValueTypeMap:
		*budget -= v.Map().Len()
		if *budget < 0 {
			return fmt.Sprintf("attribute %s holds more values than the limit of %d", attr.Quote(key), e.Limits.MaxAttributes)
		}
		for k, nested := range v.Map().All() {
			if msg := e.checkKey(k); msg != "" {
				return fmt.Sprintf("attribute %s: %s", attr.Quote(key), msg)
			}
			if msg := e.checkValue(key+"."+k, nested, budget, depth+1); msg != "" {
				return msg
			}
		}
	case pcommon.ValueTypeSlice:
		*budget -= v.Slice().Len()
		if *budget < 0 {
			return fmt.Sprintf("attribute %s holds more values than the limit of %d", attr.Quote(key), e.Limits.MaxAttributes)
		}
		for _, nested := range v.Slice().All() {
			if msg := e.checkValue(key, nested, budget, depth+1); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func (e *Enricher) resolveSite(req Request, resourceSite string, attrs pcommon.Map) (*sites.Site, Reason, string) {
	id := resourceSite
	if v, ok := attr.StrOK(attrs, schema.AttrSiteID); ok && id == "" {
		id = v
	}
	if id == "" {
		id = req.SiteHint
	}
	var (
		site *sites.Site
		ok   bool
	)
	if id != "" {
		if site, ok = e.Sites.Lookup(id); !ok {
			return nil, ReasonUnknownSite, fmt.Sprintf("site %s is not configured", attr.Quote(id))
		}
	} else if site, ok = e.Sites.ByOrigin(req.Origin); !ok {
		return nil, ReasonUnknownSite, fmt.Sprintf("no site named (set resource attribute %s) and none configured for origin %s", schema.AttrSiteID, attr.Quote(req.Origin))
	}
	switch {
	case req.Origin == "" && !site.AllowMissingOrigin:
		return nil, ReasonOriginNotAllowed, fmt.Sprintf("request has no Origin header and site %q requires one", site.ID)
	case req.Origin != "" && !site.AllowsOrigin(req.Origin):
		return nil, ReasonOriginNotAllowed, fmt.Sprintf("origin %s may not send events for site %q", attr.Quote(req.Origin), site.ID)
	}
	return site, "", ""
}

func pageURL(attrs pcommon.Map, name string) (*url.URL, string) {
	raw, ok := attr.StrOK(attrs, schema.AttrURLFull)
	if !ok {
		if name == schema.EventPageView {
			return nil, fmt.Sprintf("%s needs attribute %s", schema.EventPageView, schema.AttrURLFull)
		}
		return nil, ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Sprintf("attribute %s is not an absolute http(s) URL", schema.AttrURLFull)
	}
	return u, ""
}

func (e *Enricher) eventID(attrs pcommon.Map) (string, bool, string) {
	v, ok := attrs.Get(schema.AttrEventID)
	if !ok {
		return e.NewID(), true, ""
	}
	id := v.AsString()
	if id == "" || len(id) > e.Limits.MaxEventIDBytes || strings.ContainsFunc(id, func(r rune) bool { return r <= 0x20 || r >= 0x7f }) {
		return "", false, fmt.Sprintf("attribute %s must be 1 to %d printable ASCII characters", schema.AttrEventID, e.Limits.MaxEventIDBytes)
	}
	return id, false, ""
}

func (e *Enricher) visitorID(ctx context.Context, facts *requestFacts, site *sites.Site, attrs pcommon.Map) (string, string) {
	if site.ClientVisitorID {
		if anon, ok := attr.StrOK(attrs, schema.AttrAnonymousID); ok && anon != "" {
			key := [2]string{site.ID, anon}
			id, ok := facts.clientIDs[key]
			if !ok {
				id = e.Visitors.ClientID(site.ID, anon)
				if facts.clientIDs == nil {
					facts.clientIDs = map[[2]string]string{}
				}
				facts.clientIDs[key] = id
			}
			return id, "client"
		}
	}
	if id, ok := facts.visitors[site.ID]; ok {
		return id, "hashed"
	}
	id := e.Visitors.ID(ctx, site.ID, facts.req.ClientIP, facts.req.UserAgent)
	facts.visitors[site.ID] = id
	return id, "hashed"
}

func (e *Enricher) addDerived(facts *requestFacts, site *sites.Site, lr plog.LogRecord, name string, page *url.URL, eventID string, generated bool) {
	attrs := lr.Attributes()
	attrs.RemoveIf(func(key string, _ pcommon.Value) bool {
		return schema.IsPipelineOwned(key) || key == schema.AttrAnonymousID || key == schema.AttrEventNameLegacy
	})
	attrs.EnsureCapacity(attrs.Len() + derivedAttributes)

	received := pcommon.NewTimestampFromTime(facts.req.Received)
	lr.SetObservedTimestamp(received)
	if lr.Timestamp() == 0 {
		lr.SetTimestamp(received)
	}

	attrs.PutStr(schema.AttrEventID, eventID)
	attr.PutNonEmpty(attrs, schema.AttrIngestFormat, facts.req.Format)
	if generated {
		attrs.PutBool(schema.AttrEventIDGenerated, true)
	}

	if e.StoreUserAgent {
		attr.PutNonEmpty(attrs, schema.AttrUserAgentOriginal, facts.req.UserAgent)
	}
	attr.PutNonEmpty(attrs, schema.AttrUserAgentName, facts.ua.BrowserName)
	attr.PutNonEmpty(attrs, schema.AttrUserAgentVersion, facts.ua.BrowserVersion)
	attr.PutNonEmpty(attrs, schema.AttrUserAgentOSName, facts.ua.OSName)
	attr.PutNonEmpty(attrs, schema.AttrUserAgentOSVersion, facts.ua.OSVersion)
	attr.PutNonEmpty(attrs, schema.AttrDeviceType, facts.ua.DeviceType)

	attr.PutNonEmpty(attrs, schema.AttrGeoCountry, facts.geo.CountryISO)
	attr.PutNonEmpty(attrs, schema.AttrGeoRegion, facts.geo.RegionISO)
	attr.PutNonEmpty(attrs, schema.AttrGeoCity, facts.geo.City)

	e.scrubAttr(attrs, schema.AttrLinkURL)
	if page == nil {
		e.scrubAttr(attrs, schema.AttrReferrer)
		return
	}
	attrs.PutStr(schema.AttrURLPath, pathOf(page))
	attrs.PutStr(schema.AttrURLDomain, page.Hostname())
	if !e.URLs.Clean(page) {
		attrs.PutStr(schema.AttrURLFull, e.URLs.ScrubURL(page))
	}
	if name != schema.EventPageView {
		// Where a visit came from is a property of the page view that
		// landed it; on a click it would only ever read "direct".
		e.scrubAttr(attrs, schema.AttrReferrer)
		return
	}

	ref, _ := attr.StrOK(attrs, schema.AttrReferrer)
	src := referrer.Classify(ref, page.Hostname(), site.OwnsHost)
	e.scrubAttr(attrs, schema.AttrReferrer)
	attrs.PutStr(schema.AttrReferrerClass, src.Class)
	attr.PutNonEmpty(attrs, schema.AttrReferrerSource, src.Name)
	attr.PutNonEmpty(attrs, schema.AttrReferrerHost, src.Host)

	c := referrer.ParseCampaign(page.Query())
	attr.PutNonEmpty(attrs, schema.AttrUTMSource, c.Source)
	attr.PutNonEmpty(attrs, schema.AttrUTMMedium, c.Medium)
	attr.PutNonEmpty(attrs, schema.AttrUTMCampaign, c.Name)
	attr.PutNonEmpty(attrs, schema.AttrUTMTerm, c.Term)
	attr.PutNonEmpty(attrs, schema.AttrUTMContent, c.Content)
	attr.PutNonEmpty(attrs, schema.AttrClickIDType, c.ClickIDType)
	attr.PutNonEmpty(attrs, schema.AttrClickID, c.ClickID)
}

// scrubAttr removes from a stored URL what the privacy allow-list does not keep.
func (e *Enricher) scrubAttr(attrs pcommon.Map, key string) {
	raw, ok := attr.StrOK(attrs, key)
	if !ok {
		return
	}
	if scrubbed := e.URLs.Scrub(raw); scrubbed != raw {
		attrs.PutStr(key, scrubbed)
	}
}

// derivedAttributes is about how many attributes addDerived adds at most.
const derivedAttributes = 24

func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}
