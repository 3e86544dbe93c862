// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package clientip finds the address of the browser behind a request,
// believing forwarding headers only when they were set by a trusted proxy.
package clientip // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/clientip"

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Header names the forwarding header the trusted proxies set.
type Header string

const (
	// HeaderXForwardedFor is X-Forwarded-For, which nginx, HAProxy and
	// cloud load balancers append to.
	HeaderXForwardedFor Header = "x-forwarded-for"
	// HeaderForwarded is the standard Forwarded header (RFC 7239).
	HeaderForwarded Header = "forwarded"
)

// Validate accepts the two known headers.
func (h Header) Validate() error {
	switch h {
	case HeaderXForwardedFor, HeaderForwarded:
		return nil
	}
	return fmt.Errorf("must be %q or %q, not %q", HeaderXForwardedFor, HeaderForwarded, string(h))
}

// Resolver picks the client address of a request.
type Resolver struct {
	trusted []netip.Prefix
	header  Header
}

// ParsePrefixes accepts CIDR prefixes ("10.0.0.0/8") and single addresses ("10.1.2.3").
func ParsePrefixes(entries []string) ([]netip.Prefix, error) {
	prefixes := make([]netip.Prefix, 0, len(entries))
	for _, entry := range entries {
		if strings.Contains(entry, "/") {
			p, err := netip.ParsePrefix(entry)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", entry, err)
			}
			prefixes = append(prefixes, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", entry, err)
		}
		a = a.Unmap()
		prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
	}
	return prefixes, nil
}

// NewResolver returns a Resolver that believes header, and only header, from
// the given proxies. A proxy overwrites or appends to the header it sets and
// passes any other through as the client sent it: reading both would let a
// client choose its own address.
func NewResolver(trusted []netip.Prefix, header Header) *Resolver {
	return &Resolver{trusted: trusted, header: header}
}

// Resolve returns the client address, or an invalid Addr when the peer address cannot be parsed.
//
// Forwarding headers are read right to left: each hop appends the address it saw,
// so the rightmost address that is not a trusted proxy is the first one a trusted
// proxy vouches for. Anything to its left was written by the client and may be forged.
func (r *Resolver) Resolve(req *http.Request) netip.Addr {
	peer := parseHostPort(req.RemoteAddr)
	if !peer.IsValid() || !r.isTrusted(peer) {
		return peer
	}
	hops := r.hops(req.Header)
	if len(hops) == 0 {
		return peer
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseHostPort(hops[i])
		if !hop.IsValid() {
			// A hop we cannot read ends what we can vouch for.
			return client
		}
		client = hop
		if !r.isTrusted(hop) {
			return hop
		}
	}
	return client
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxHops bounds how many hops of a header are read: a client can make the
// header as long as the request's header limit allows.
const maxHops = 32

// hops returns the hop addresses of the configured header, in the order the
// proxies appended them (at most the last maxHops).
func (r *Resolver) hops(h http.Header) []string {
	var hops []string
	if r.header == HeaderForwarded {
		hops = forwarded(h)
	} else {
		hops = xForwardedFor(h)
	}
	if len(hops) > maxHops {
		hops = hops[len(hops)-maxHops:]
	}
	return hops
}

func forwarded(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("Forwarded") {
		for _, element := range strings.Split(line, ",") {
			for _, pair := range strings.Split(element, ";") {
				key, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(key, "for") {
					hops = append(hops, strings.Trim(value, `"`))
				}
			}
		}
	}
	return hops
}

func xForwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, hop := range strings.Split(line, ",") {
			if hop = strings.TrimSpace(hop); hop != "" {
				hops = append(hops, hop)
			}
		}
	}
	return hops
}

// parseHostPort reads "1.2.3.4", "1.2.3.4:80", "[::1]:80", "[::1]" and "::1".
func parseHostPort(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap()
		}
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}
