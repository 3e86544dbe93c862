// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package sites decides which configured site an event belongs to and
// whether the page that sent it may speak for that site.
package sites // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Pattern is one allowed origin: "https://www.example.com" (that scheme and
// host), "example.com" (any scheme) or "*.example.com" (any subdomain, and the
// domain itself).
type Pattern struct {
	scheme   string
	host     string
	wildcard bool
}

// ParsePattern reads an allowed-origin entry.
func ParsePattern(entry string) (Pattern, error) {
	entry = strings.ToLower(strings.TrimSpace(entry))
	if entry == "" {
		return Pattern{}, errors.New("empty origin")
	}
	var p Pattern
	if scheme, rest, ok := strings.Cut(entry, "://"); ok {
		if scheme != "http" && scheme != "https" {
			return Pattern{}, fmt.Errorf("origin %q: scheme must be http or https", entry)
		}
		p.scheme, entry = scheme, rest
	}
	if strings.ContainsAny(entry, "/?#@ ") {
		return Pattern{}, fmt.Errorf("origin %q: only a scheme, host and port are allowed", entry)
	}
	if rest, ok := strings.CutPrefix(entry, "*."); ok {
		p.wildcard, entry = true, rest
	}
	if entry == "" || strings.Contains(entry, "*") {
		return Pattern{}, fmt.Errorf("origin %q: a wildcard may only stand first, as in *.example.com", entry)
	}
	if !asciiHost(entry) {
		return Pattern{}, fmt.Errorf("origin %q: a host of letters, digits, '-' and '.' with an optional port (an international name in its xn-- form, as browsers send it)", entry)
	}
	p.host = entry
	return p, nil
}

// asciiHost reports whether s is made of what a browser's Origin host and
// port are: ASCII letters, digits, '-', '.', ':' and the brackets of an
// IPv6 literal. Anything else is compared nowhere: strings.ToLower turns
// every invalid UTF-8 byte into the same replacement rune, so two
// different non-ASCII hosts could compare equal.
func asciiHost(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '.', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

func (p Pattern) matches(scheme, host string) bool {
	if p.scheme != "" && p.scheme != scheme {
		return false
	}
	if host == p.host {
		return true
	}
	return p.wildcard && strings.HasSuffix(host, "."+p.host)
}

// MaxNameBytes is the longest site name (a domain, an app name) looked up:
// a DNS name is at most 253 bytes. A longer one names no site, and is not
// parsed or compared against each configured site.
const MaxNameBytes = 253

// MaxOriginBytes is the longest Origin parsed: a scheme, a DNS name and a port.
const MaxOriginBytes = len("https://") + MaxNameBytes + len(":65535")

// Site is one configured web site.
type Site struct {
	ID string
	// Names are other names third-party SDKs know the site by: a Plausible
	// domain, a Faro app name.
	Names              []string
	Patterns           []Pattern
	ClientVisitorID    bool
	AllowMissingOrigin bool
}

// AllowsOrigin reports whether a browser Origin ("https://www.example.com:8443")
// may send events for this site. The opaque origin "null" never may, nor
// an origin without an http or https scheme or with a host browsers do
// not send (non-ASCII bytes).
func (s *Site) AllowsOrigin(origin string) bool {
	if len(origin) > MaxOriginBytes {
		return false
	}
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || !asciiHost(u.Host) {
		return false
	}
	for _, p := range s.Patterns {
		if p.matches(u.Scheme, u.Host) || p.matches(u.Scheme, u.Hostname()) {
			return true
		}
	}
	return false
}

// OwnsHost reports whether host belongs to the site, for telling internal
// referrals from external ones.
func (s *Site) OwnsHost(host string) bool {
	host = strings.ToLower(host)
	for _, p := range s.Patterns {
		if p.matches("", host) || (p.scheme != "" && p.matches(p.scheme, host)) || strings.TrimPrefix(p.host, "www.") == host {
			return true
		}
	}
	return false
}

// Registry finds sites by id.
type Registry struct {
	byID   map[string]*Site
	byName map[string]*Site
}

// NewRegistry indexes sites by id and name; ids and names must be unique.
func NewRegistry(list []*Site) (*Registry, error) {
	r := &Registry{byID: make(map[string]*Site, len(list)), byName: map[string]*Site{}}
	for _, s := range list {
		if _, dup := r.byID[s.ID]; dup {
			return nil, fmt.Errorf("site %q is configured twice", s.ID)
		}
		r.byID[s.ID] = s
	}
	for _, s := range list {
		for _, name := range s.Names {
			if other, dup := r.byName[name]; dup {
				return nil, fmt.Errorf("name %q is given to sites %q and %q", name, other.ID, s.ID)
			}
			if other, ok := r.byID[name]; ok && other != s {
				return nil, fmt.Errorf("name %q of site %q is the id of site %q", name, s.ID, other.ID)
			}
			r.byName[name] = s
		}
	}
	return r, nil
}

// Named returns the site a third-party SDK means by name: the site with
// that id or name, else the one site whose origins allow that host.
func (r *Registry) Named(name string) (*Site, bool) {
	if len(name) > MaxNameBytes {
		return nil, false
	}
	if s, ok := r.byID[name]; ok {
		return s, true
	}
	if s, ok := r.byName[name]; ok {
		return s, true
	}
	if strings.ContainsAny(name, "/:@ ") {
		return nil, false
	}
	return r.ByOrigin("https://" + name)
}

// Lookup returns the site with this id.
func (r *Registry) Lookup(id string) (*Site, bool) {
	s, ok := r.byID[id]
	return s, ok
}

// ByOrigin returns the one site that allows this origin, for clients (such as
// a stock OpenTelemetry SDK) that do not name their site. An origin allowed by
// several sites names none of them.
func (r *Registry) ByOrigin(origin string) (*Site, bool) {
	if len(origin) > MaxOriginBytes {
		return nil, false
	}
	var found *Site
	for _, s := range r.byID {
		if s.AllowsOrigin(origin) {
			if found != nil {
				return nil, false
			}
			found = s
		}
	}
	return found, found != nil
}
