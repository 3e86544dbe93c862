// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package privacy removes from stored URLs what the docs do not name: query
// parameters outside an allow-list, fragments and user info, which carry
// reset tokens, e-mail addresses and session ids as often as campaigns.
package privacy // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/privacy"

import (
	"net/url"
	"strings"
)

// URLScrubber is safe for concurrent use.
type URLScrubber struct {
	exact    map[string]bool
	prefixes []string
}

// NewURLScrubber keeps the query parameters named in allowed; a name ending
// in "*" keeps every parameter that starts with the rest.
func NewURLScrubber(allowed []string) *URLScrubber {
	s := &URLScrubber{exact: map[string]bool{}}
	for _, a := range allowed {
		if prefix, ok := strings.CutSuffix(a, "*"); ok {
			s.prefixes = append(s.prefixes, prefix)
		} else {
			s.exact[a] = true
		}
	}
	return s
}

func (s *URLScrubber) allows(name string) bool {
	if s.exact[name] {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Clean reports whether u has nothing to scrub.
func (s *URLScrubber) Clean(u *url.URL) bool {
	return u.User == nil && u.Fragment == "" && !u.ForceQuery && s.keepsQuery(u.RawQuery)
}

// ScrubURL returns u as a string without user info, fragment and the query
// parameters that are not allowed, keeping the others as they were encoded.
func (s *URLScrubber) ScrubURL(u *url.URL) string {
	if s.Clean(u) {
		return u.String()
	}
	c := *u
	c.User, c.Fragment, c.RawFragment, c.ForceQuery = nil, "", "", false
	c.RawQuery = s.scrubQuery(u.RawQuery)
	return c.String()
}

// Scrub is ScrubURL for a URL string. A string with a query, fragment or
// user info that does not parse as a URL with a scheme and host cannot be
// scrubbed with confidence, and is dropped ("").
func (s *URLScrubber) Scrub(raw string) string {
	if !strings.ContainsAny(raw, "?#@") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return s.ScrubURL(u)
}

// keepsQuery reports whether every parameter of raw is allowed, without
// building anything: most page URLs are clean, and this runs on each one.
func (s *URLScrubber) keepsQuery(raw string) bool {
	if raw == "" {
		return true
	}
	for pair := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(pair, "=")
		if !s.allows(name) {
			if unescaped, err := url.QueryUnescape(name); err != nil || unescaped == "" || !s.allows(unescaped) {
				return false
			}
		}
	}
	return true
}

func (s *URLScrubber) scrubQuery(raw string) string {
	if raw == "" {
		return ""
	}
	kept := make([]string, 0, 4)
	for pair := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(pair, "=")
		if unescaped, err := url.QueryUnescape(name); err == nil && unescaped != "" && s.allows(unescaped) {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}
