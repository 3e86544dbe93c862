// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
)

func (e *Enricher) resolveSite(facts *requestFacts, resourceSite string, attrs pcommon.Map) (*sites.Site, Reason, string) {
	req := facts.req
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
	case req.Origin != "" && site != facts.originAllowed && !site.AllowsOrigin(req.Origin):
		return nil, ReasonOriginNotAllowed, fmt.Sprintf("origin %s may not send events for site %q", attr.Quote(req.Origin), site.ID)
	}
	if req.Origin != "" {
		facts.originAllowed = site
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
	// Percent-escapes are decoded into the host and the path, which become
	// url.domain and url.path: "%80" would make them invalid UTF-8.
	if !utf8.ValidString(u.Hostname()) || !utf8.ValidString(u.Path) {
		return nil, fmt.Sprintf("attribute %s escapes bytes that are not UTF-8 in its host or path", schema.AttrURLFull)
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
