// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package referrer classifies where a visit came from: the page's referrer
// and the campaign parameters (UTM and ad click ids) of the page URL.
package referrer // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/referrer"

import (
	"net/url"
	"strings"
)

// Referrer classes, as written to footfall.referrer.class.
const (
	ClassDirect   = "direct"
	ClassSearch   = "search"
	ClassSocial   = "social"
	ClassExternal = "external"
	ClassInternal = "internal"
)

// Source is where a referrer points.
type Source struct {
	Class string
	// Name is a well-known source ("Google", "Reddit") or else the referring host.
	Name string
	Host string
}

// known maps a registrable-domain suffix to its class and display name.
// Matching is by whole labels: "google.de" matches "www.google.de" but not "notgoogle.de".
var known = map[string]Source{
	"google":               {Class: ClassSearch, Name: "Google"},
	"bing.com":             {Class: ClassSearch, Name: "Bing"},
	"duckduckgo.com":       {Class: ClassSearch, Name: "DuckDuckGo"},
	"search.yahoo":         {Class: ClassSearch, Name: "Yahoo"},
	"yahoo.com":            {Class: ClassSearch, Name: "Yahoo"},
	"baidu.com":            {Class: ClassSearch, Name: "Baidu"},
	"yandex":               {Class: ClassSearch, Name: "Yandex"},
	"ecosia.org":           {Class: ClassSearch, Name: "Ecosia"},
	"search.brave.com":     {Class: ClassSearch, Name: "Brave Search"},
	"startpage.com":        {Class: ClassSearch, Name: "Startpage"},
	"qwant.com":            {Class: ClassSearch, Name: "Qwant"},
	"kagi.com":             {Class: ClassSearch, Name: "Kagi"},
	"naver.com":            {Class: ClassSearch, Name: "Naver"},
	"facebook.com":         {Class: ClassSocial, Name: "Facebook"},
	"fb.com":               {Class: ClassSocial, Name: "Facebook"},
	"instagram.com":        {Class: ClassSocial, Name: "Instagram"},
	"t.co":                 {Class: ClassSocial, Name: "X"},
	"twitter.com":          {Class: ClassSocial, Name: "X"},
	"x.com":                {Class: ClassSocial, Name: "X"},
	"linkedin.com":         {Class: ClassSocial, Name: "LinkedIn"},
	"lnkd.in":              {Class: ClassSocial, Name: "LinkedIn"},
	"reddit.com":           {Class: ClassSocial, Name: "Reddit"},
	"news.ycombinator.com": {Class: ClassSocial, Name: "Hacker News"},
	"youtube.com":          {Class: ClassSocial, Name: "YouTube"},
	"pinterest.com":        {Class: ClassSocial, Name: "Pinterest"},
	"tiktok.com":           {Class: ClassSocial, Name: "TikTok"},
	"threads.net":          {Class: ClassSocial, Name: "Threads"},
	"bsky.app":             {Class: ClassSocial, Name: "Bluesky"},
	"mastodon.social":      {Class: ClassSocial, Name: "Mastodon"},
	"vk.com":               {Class: ClassSocial, Name: "VK"},
	"whatsapp.com":         {Class: ClassSocial, Name: "WhatsApp"},
	"t.me":                 {Class: ClassSocial, Name: "Telegram"},
}

// Classify says where a visit to pageHost came from. siteHosts are the other
// hosts of the same site, whose referrals count as internal.
func Classify(ref, pageHost string, sameSite func(host string) bool) Source {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return Source{Class: ClassDirect}
	}
	u, err := url.Parse(ref)
	if err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") {
		// android-app://, about:blank and the like carry no usable host.
		return Source{Class: ClassDirect}
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	if host == strings.TrimPrefix(strings.ToLower(pageHost), "www.") || (sameSite != nil && sameSite(host)) {
		return Source{Class: ClassInternal, Name: host, Host: host}
	}
	if s, ok := lookup(host); ok {
		s.Host = host
		return s
	}
	return Source{Class: ClassExternal, Name: host, Host: host}
}

// lookup tries every label-aligned suffix of host, then the same without the
// public suffix, so that the key "google" stands for google.de and google.co.uk.
func lookup(host string) (Source, bool) {
	labels := strings.Split(host, ".")
	withoutSuffix := labels[:len(labels)-publicSuffixLabels(labels)]
	for i := range labels {
		if s, ok := known[strings.Join(labels[i:], ".")]; ok {
			return s, true
		}
		if i < len(withoutSuffix) {
			if s, ok := known[strings.Join(withoutSuffix[i:], ".")]; ok {
				return s, true
			}
		}
	}
	return Source{}, false
}

// publicSuffixLabels guesses how many trailing labels form the public suffix:
// two for country second-level domains such as co.uk or com.br, else one.
func publicSuffixLabels(labels []string) int {
	n := len(labels)
	if n >= 3 && len(labels[n-1]) == 2 {
		switch labels[n-2] {
		case "co", "com", "ac", "net", "org", "gov", "edu", "or", "ne":
			return 2
		}
	}
	return 1
}
