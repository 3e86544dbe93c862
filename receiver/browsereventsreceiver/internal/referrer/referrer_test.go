// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package referrer

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
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
	assert.Equal(t, Campaign{Source: "newsletter", Medium: "email", Name: "black-friday", Term: "shoes", Content: "hero"},
		ParseCampaign("utm_source=newsletter&utm_medium=email&utm_campaign=black-friday&utm_term=shoes&utm_content=hero"))
	assert.Equal(t, Campaign{Source: "google", Medium: "cpc", ClickIDType: "gclid", ClickID: "abc123"}, ParseCampaign("gclid=abc123"),
		"a click id implies its source when utm_source is absent")
	assert.Equal(t, Campaign{Source: "partner", Medium: "social", ClickIDType: "fbclid", ClickID: "f1"}, ParseCampaign("fbclid=f1&utm_source=partner"))
	assert.Len(t, ParseCampaign("utm_campaign="+strings.Repeat("a", 1000)).Name, maxParamLength)
	assert.Equal(t, Campaign{Source: "news letter", Name: "a&b"}, ParseCampaign("utm%5Fsource=news+letter&utm_campaign=a%26b"), "keys and values unescape")
	assert.Equal(t, Campaign{Source: "second"}, ParseCampaign("utm_source=%zz&utm_source=second&utm_source=third"), "a value that does not unescape is skipped")
	assert.Equal(t, Campaign{Medium: "m"}, ParseCampaign("utm_source=a;b&utm_medium=m"), "a pair with a semicolon is skipped")
}

// campaignOfValues is what ParseCampaign read before it scanned the query:
// every parameter parsed by net/url, the first value of each name.
func campaignOfValues(raw string) Campaign {
	q, _ := url.ParseQuery(raw)
	var p params
	for name, i := range paramIndex {
		if v := q[name]; len(v) > 0 {
			p[i].value, p[i].ok = v[0], true
		}
	}
	return p.campaign()
}

// randomQuery draws a query of pairs made of the pieces that matter to its
// parsing: the names read (some escaped) and others, values with escapes
// good and bad, pairs without a value or a key, semicolons and empty pairs.
func randomQuery(rng *rand.Rand) string {
	keys := []string{"utm_source", "utm%5Fmedium", "utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "li_fat_id", "msclkid", "x", "utm_%zz", "", "a;b"}
	values := []string{"", "v", "b+c", "%41", "%zz", "%2", "%", "a%26b", "x;y", "é", "=", "gclid"}
	separators := []string{"&", "&", "&", "&&", ";"}
	var b strings.Builder
	for i := range rng.IntN(8) {
		if i > 0 {
			b.WriteString(separators[rng.IntN(len(separators))])
		}
		b.WriteString(keys[rng.IntN(len(keys))])
		if rng.IntN(6) != 0 {
			b.WriteString("=" + values[rng.IntN(len(values))])
		}
	}
	return b.String()
}

// The scan reads what net/url reads: over random queries its campaign is
// the one of url.ParseQuery's values.
func TestParseCampaignReadsWhatNetURLReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(28, 4))
	differed := 0
	for range 200_000 {
		raw := randomQuery(rng)
		if got, want := ParseCampaign(raw), campaignOfValues(raw); got != want {
			differed++
			assert.Equal(t, want, got, "query %q", raw)
			if differed > 5 {
				t.FailNow()
			}
		}
	}
	// Past net/url's bound on parameters, it decides: it parses nothing.
	many := strings.Repeat("x=1&", maxScannedParams) + "utm_source=s"
	assert.Equal(t, campaignOfValues(many), ParseCampaign(many))
}

func FuzzParseCampaignReadsWhatNetURLReads(f *testing.F) {
	f.Add("utm_source=newsletter&utm_medium=email&gclid=abc")
	f.Add("utm%5Fsource=a+b&utm_source=%zz;&fbclid=")
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := ParseCampaign(raw), campaignOfValues(raw); got != want {
			t.Fatalf("query %q: got %+v, net/url reads %+v", raw, got, want)
		}
	})
}
