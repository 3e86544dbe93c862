// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package referrer // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/referrer"

import "net/url"

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
var clickIDs = []struct{ param, source, medium string }{
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

// ParseCampaign reads the campaign of a page URL's query.
func ParseCampaign(query url.Values) Campaign {
	c := Campaign{
		Source:  param(query, "utm_source"),
		Medium:  param(query, "utm_medium"),
		Name:    param(query, "utm_campaign"),
		Term:    param(query, "utm_term"),
		Content: param(query, "utm_content"),
	}
	for _, id := range clickIDs {
		if v := param(query, id.param); v != "" {
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

func param(q url.Values, key string) string {
	v := q.Get(key)
	if len(v) > maxParamLength {
		v = v[:maxParamLength]
	}
	return v
}
