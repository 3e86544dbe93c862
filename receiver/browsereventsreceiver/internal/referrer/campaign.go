// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package referrer // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/referrer"

import (
	"net/url"
	"strings"
)

// Campaign holds the UTM parameters and the ad click id of a landing URL.
type Campaign struct {
	Source      string
	Medium      string
	Name        string
	Term        string
	Content     string
	ClickIDType string
	ClickID     string
}

// clickIDs maps an ad platform's click id parameter to the source it implies
// when the URL has no utm_source of its own.
var clickIDs = [...]struct{ param, source, medium string }{
	{"gclid", "google", "cpc"},
	{"gbraid", "google", "cpc"},
	{"wbraid", "google", "cpc"},
	{"dclid", "google", "display"},
	{"msclkid", "bing", "cpc"},
	{"fbclid", "facebook", "social"},
	{"ttclid", "tiktok", "cpc"},
	{"twclid", "x", "cpc"},
	{"li_fat_id", "linkedin", "cpc"},
}

// ClickIDParameters are the query parameters read as ad click ids.
var ClickIDParameters = func() []string {
	names := make([]string, len(clickIDs))
	for i, id := range clickIDs {
		names[i] = id.param
	}
	return names
}()

// maxParamLength bounds what one query parameter may put on an event.
const maxParamLength = 256

// The names read from a query: the UTM parameters, then the click ids in
// clickIDs' order.
const (
	utmSource = iota
	utmMedium
	utmCampaign
	utmTerm
	utmContent
	firstClickID
)

var paramIndex = func() map[string]int {
	m := map[string]int{"utm_source": utmSource, "utm_medium": utmMedium, "utm_campaign": utmCampaign, "utm_term": utmTerm, "utm_content": utmContent}
	for i, id := range clickIDs {
		m[id.param] = firstClickID + i
	}
	return m
}()

// maxScannedParams is net/url's bound on the parameters of a query
// (defaultMaxParams; GODEBUG urlmaxqueryparams changes it): past it
// url.ParseQuery parses nothing, and ParseCampaign leaves the query to it.
const maxScannedParams = 10000

// params are the first value of each name read, as url.Values.Get gives it.
type params [firstClickID + len(clickIDs)]struct {
	value string
	ok    bool
}

// ParseCampaign reads the campaign of a page URL's raw query: what
// url.ParseQuery and then url.Values.Get give, without building the map of
// every parameter (and unescaping every value) for the few it reads. As
// url.ParseQuery does, it skips a pair with a semicolon, or whose key or
// value does not unescape.
func ParseCampaign(rawQuery string) Campaign {
	var p params
	if strings.Count(rawQuery, "&") >= maxScannedParams {
		q, _ := url.ParseQuery(rawQuery)
		for name, i := range paramIndex {
			if v, ok := q[name]; ok && len(v) > 0 {
				p[i].value, p[i].ok = v[0], true
			}
		}
		return p.campaign()
	}
	for rest := rawQuery; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			continue
		}
		i, read := paramIndex[key]
		if !read || p[i].ok {
			continue
		}
		if value, err := url.QueryUnescape(rawValue); err == nil {
			p[i].value, p[i].ok = value, true
		}
	}
	return p.campaign()
}

func (p *params) campaign() Campaign {
	c := Campaign{
		Source:  p.get(utmSource),
		Medium:  p.get(utmMedium),
		Name:    p.get(utmCampaign),
		Term:    p.get(utmTerm),
		Content: p.get(utmContent),
	}
	for i, id := range clickIDs {
		if v := p.get(firstClickID + i); v != "" {
			c.ClickIDType, c.ClickID = id.param, v
			if c.Source == "" {
				c.Source = id.source
			}
			if c.Medium == "" {
				c.Medium = id.medium
			}
			break
		}
	}
	return c
}

func (p *params) get(i int) string {
	v := p[i].value
	if len(v) > maxParamLength {
		v = v[:maxParamLength]
	}
	return v
}
