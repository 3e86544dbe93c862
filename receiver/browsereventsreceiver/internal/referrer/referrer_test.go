// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package referrer

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	sameSite := func(h string) bool { return h == "shop.example.com" }
	tests := []struct {
		ref  string
		want Source
	}{
		{"", Source{Class: ClassDirect}},
		{"android-app://com.slack", Source{Class: ClassDirect}},
		{"https://www.google.com/", Source{Class: ClassSearch, Name: "Google", Host: "google.com"}},
		{"https://www.google.co.uk/search?q=x", Source{Class: ClassSearch, Name: "Google", Host: "google.co.uk"}},
		{"https://google.de/", Source{Class: ClassSearch, Name: "Google", Host: "google.de"}},
		{"https://notgoogle.de/", Source{Class: ClassExternal, Name: "notgoogle.de", Host: "notgoogle.de"}},
		{"https://duckduckgo.com/", Source{Class: ClassSearch, Name: "DuckDuckGo", Host: "duckduckgo.com"}},
		{"https://t.co/abc", Source{Class: ClassSocial, Name: "X", Host: "t.co"}},
		{"https://old.reddit.com/r/golang", Source{Class: ClassSocial, Name: "Reddit", Host: "old.reddit.com"}},
		{"https://news.ycombinator.com/item?id=1", Source{Class: ClassSocial, Name: "Hacker News", Host: "news.ycombinator.com"}},
		{"https://blog.other.org/post", Source{Class: ClassExternal, Name: "blog.other.org", Host: "blog.other.org"}},
		{"https://www.example.com/prev", Source{Class: ClassInternal, Name: "example.com", Host: "example.com"}},
		{"https://shop.example.com/cart", Source{Class: ClassInternal, Name: "shop.example.com", Host: "shop.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			assert.Equal(t, tt.want, Classify(tt.ref, "example.com", sameSite))
		})
	}
}

func TestParseCampaign(t *testing.T) {
	q, err := url.ParseQuery("utm_source=newsletter&utm_medium=email&utm_campaign=black-friday&utm_term=shoes&utm_content=hero")
	require.NoError(t, err)
	assert.Equal(t, Campaign{Source: "newsletter", Medium: "email", Name: "black-friday", Term: "shoes", Content: "hero"}, ParseCampaign(q))

	q, err = url.ParseQuery("gclid=abc123")
	require.NoError(t, err)
	assert.Equal(t, Campaign{Source: "google", Medium: "cpc", ClickIDType: "gclid", ClickID: "abc123"}, ParseCampaign(q),
		"a click id implies its source when utm_source is absent")

	q, err = url.ParseQuery("fbclid=f1&utm_source=partner")
	require.NoError(t, err)
	assert.Equal(t, Campaign{Source: "partner", Medium: "social", ClickIDType: "fbclid", ClickID: "f1"}, ParseCampaign(q))

	long := make([]byte, 1000)
	for i := range long {
		long[i] = 'a'
	}
	q = url.Values{"utm_campaign": {string(long)}}
	assert.Len(t, ParseCampaign(q).Name, maxParamLength)
}
