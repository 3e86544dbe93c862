// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sites

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustSite(t *testing.T, id string, origins ...string) *Site {
	t.Helper()
	s := &Site{ID: id}
	for _, o := range origins {
		p, err := ParsePattern(o)
		require.NoError(t, err)
		s.Patterns = append(s.Patterns, p)
	}
	return s
}

func TestAllowsOrigin(t *testing.T) {
	s := mustSite(t, "shop", "https://www.example.com", "example.org", "*.example.net", "http://localhost:8080")
	tests := map[string]bool{
		"https://www.example.com":         true,
		"http://www.example.com":          false,
		"https://example.com":             false,
		"https://example.org":             true,
		"http://example.org":              true,
		"https://example.net":             true,
		"https://a.b.example.net":         true,
		"https://badexample.net":          false,
		"http://localhost:8080":           true,
		"http://localhost:9090":           false,
		"https://WWW.EXAMPLE.COM":         true,
		"null":                            false,
		"":                                false,
		"https://www.example.com.evil.io": false,
	}
	for origin, want := range tests {
		assert.Equal(t, want, s.AllowsOrigin(origin), origin)
	}
}

func TestParsePatternErrors(t *testing.T) {
	for _, bad := range []string{"", "ftp://example.com", "https://example.com/path", "exa*mple.com", "*.", "user@example.com"} {
		_, err := ParsePattern(bad)
		assert.Error(t, err, bad)
	}
}

func TestRegistry(t *testing.T) {
	a := mustSite(t, "a", "a.example")
	b := mustSite(t, "b", "b.example", "shared.example")
	c := mustSite(t, "c", "shared.example")
	r, err := NewRegistry([]*Site{a, b, c})
	require.NoError(t, err)

	got, ok := r.Lookup("b")
	require.True(t, ok)
	assert.Same(t, b, got)
	_, ok = r.Lookup("z")
	assert.False(t, ok)

	got, ok = r.ByOrigin("https://a.example")
	require.True(t, ok)
	assert.Same(t, a, got)
	_, ok = r.ByOrigin("https://shared.example")
	assert.False(t, ok, "an origin two sites share names neither")

	_, err = NewRegistry([]*Site{a, mustSite(t, "a")})
	require.ErrorContains(t, err, `site "a" is configured twice`)
}

func TestOwnsHost(t *testing.T) {
	s := mustSite(t, "shop", "https://www.example.com", "*.example.net")
	assert.True(t, s.OwnsHost("www.example.com"))
	assert.True(t, s.OwnsHost("example.com"))
	assert.True(t, s.OwnsHost("cdn.example.net"))
	assert.False(t, s.OwnsHost("other.org"))
}

// FuzzAllowsOrigin: any pattern and origin, no panic; a pattern that parses
// allows its own origin form, and never an origin of another host.
func FuzzAllowsOrigin(f *testing.F) {
	f.Add("https://www.example.com", "https://www.example.com")
	f.Add("*.example.com", "https://evil-example.com")
	f.Add("example.com", "http://example.com:8080")
	f.Add("localhost", "null")
	f.Fuzz(func(t *testing.T, pattern, origin string) {
		p, err := ParsePattern(pattern)
		if err != nil {
			return
		}
		site := &Site{ID: "s", Patterns: []Pattern{p}}
		if site.AllowsOrigin(origin) && !strings.Contains(strings.ToLower(origin), strings.TrimPrefix(strings.ToLower(hostOfPattern(pattern)), "*.")) {
			t.Fatalf("pattern %q allows %q", pattern, origin)
		}
	})
}

// hostOfPattern is the host part of an origin pattern, read as ParsePattern
// reads it: surrounding space is not part of the entry.
func hostOfPattern(pattern string) string {
	pattern = strings.TrimSpace(pattern)
	if _, rest, ok := strings.Cut(pattern, "://"); ok {
		pattern = rest
	}
	host, _, _ := strings.Cut(pattern, ":")
	return host
}

// A name or origin longer than a DNS name allows names no site, even where a
// wildcard pattern would match it: it is never parsed once per site.
func TestOverlongNamesNameNoSite(t *testing.T) {
	s := mustSite(t, "net", "*.example.net")
	r, err := NewRegistry([]*Site{s})
	require.NoError(t, err)
	long := strings.Repeat("a", MaxNameBytes) + ".example.net"
	_, ok := r.Named(long)
	assert.False(t, ok)
	_, ok = r.ByOrigin("https://" + long)
	assert.False(t, ok)
	assert.False(t, s.AllowsOrigin("https://"+long))
	got, ok := r.Named("www.example.net")
	require.True(t, ok, "a name of ordinary length still matches")
	assert.Same(t, s, got)
}

// Hosts are compared as browsers send them, in ASCII: two different
// non-ASCII hosts must not compare equal after lower-casing (which turns
// every invalid UTF-8 byte into the same rune), and an Origin without an
// http or https scheme is no page's.
func TestOriginsAreASCIIAndHTTP(t *testing.T) {
	_, err := ParsePattern("\x98.example")
	require.ErrorContains(t, err, "xn--")
	_, err = ParsePattern("bücher.example")
	require.ErrorContains(t, err, "xn--", "an international name is configured in the form browsers send")

	s := mustSite(t, "shop", "xn--bcher-kva.example", "https://[::1]:8443")
	assert.True(t, s.AllowsOrigin("https://xn--bcher-kva.example"))
	assert.True(t, s.AllowsOrigin("https://[::1]:8443"))
	assert.False(t, s.AllowsOrigin("https://bücher.example"))
	assert.False(t, s.AllowsOrigin("//xn--bcher-kva.example"), "no scheme")
	assert.False(t, s.AllowsOrigin("chrome-extension://xn--bcher-kva.example"))
}
