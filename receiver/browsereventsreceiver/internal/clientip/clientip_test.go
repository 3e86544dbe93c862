// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package clientip

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.1", "::1"})
	require.NoError(t, err)
	xff, fwd := NewResolver(trusted, HeaderXForwardedFor), NewResolver(trusted, HeaderForwarded)

	tests := []struct {
		name    string
		r       *Resolver
		remote  string
		headers map[string]string
		want    string
	}{
		{name: "untrusted peer ignores headers", remote: "203.0.113.9:5000", headers: map[string]string{"X-Forwarded-For": "198.51.100.1"}, want: "203.0.113.9"},
		{name: "trusted peer without headers", remote: "10.1.1.1:5000", want: "10.1.1.1"},
		{name: "trusted peer, one hop", remote: "10.1.1.1:5000", headers: map[string]string{"X-Forwarded-For": "198.51.100.1"}, want: "198.51.100.1"},
		{name: "forged leftmost entry is skipped", remote: "10.1.1.1:5000", headers: map[string]string{"X-Forwarded-For": "6.6.6.6, 198.51.100.1, 10.2.2.2"}, want: "198.51.100.1"},
		{name: "all hops trusted gives leftmost", remote: "10.1.1.1:5000", headers: map[string]string{"X-Forwarded-For": "10.3.3.3, 10.2.2.2"}, want: "10.3.3.3"},
		{name: "garbage hop stops the walk", remote: "10.1.1.1:5000", headers: map[string]string{"X-Forwarded-For": "198.51.100.1, nonsense"}, want: "10.1.1.1"},
		// Behind a proxy that sets X-Forwarded-For, a Forwarded header came
		// from the client: it must not pick the address.
		{name: "forged Forwarded behind an X-Forwarded-For proxy", remote: "192.0.2.1:80", headers: map[string]string{"Forwarded": "for=6.6.6.6", "X-Forwarded-For": "198.51.100.1"}, want: "198.51.100.1"},
		{name: "Forwarded when configured", r: fwd, remote: "192.0.2.1:80", headers: map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https, for=10.9.9.9`, "X-Forwarded-For": "198.51.100.1"}, want: "2001:db8::7"},
		{name: "forged X-Forwarded-For behind a Forwarded proxy", r: fwd, remote: "192.0.2.1:80", headers: map[string]string{"X-Forwarded-For": "6.6.6.6"}, want: "192.0.2.1"},
		{name: "only the last hops are read", remote: "10.1.1.1:5000", headers: map[string]string{"X-Forwarded-For": strings.Repeat("10.0.0.1, ", 100) + "10.0.0.2"}, want: "10.0.0.1"},
		{name: "ipv6 loopback peer trusted", remote: "[::1]:9000", headers: map[string]string{"X-Forwarded-For": "198.51.100.4"}, want: "198.51.100.4"},
		{name: "mapped ipv4 is unmapped", remote: "[::ffff:203.0.113.5]:1", want: "203.0.113.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "http://x/v1/logs", http.NoBody)
			require.NoError(t, err)
			req.RemoteAddr = tt.remote
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			r := tt.r
			if r == nil {
				r = xff
			}
			assert.Equal(t, tt.want, r.Resolve(req).String())
		})
	}
}

func TestParsePrefixesRejectsGarbage(t *testing.T) {
	_, err := ParsePrefixes([]string{"10.0.0.0/33"})
	require.ErrorContains(t, err, `trusted proxy "10.0.0.0/33"`)
	_, err = ParsePrefixes([]string{"proxy.local"})
	require.ErrorContains(t, err, `trusted proxy "proxy.local"`)
}

// FuzzResolve: whatever the headers, Resolve returns the peer or an address
// the headers named, never panics, and believes no header from an untrusted peer.
func FuzzResolve(f *testing.F) {
	f.Add("10.1.1.1:5000", "198.51.100.1, 10.2.2.2", "for=6.6.6.6", true)
	f.Add("203.0.113.9:1", "1.2.3.4", `for="[2001:db8::7]:4711"`, false)
	f.Add("[::1]:9", "", "for=unknown;proto=http", true)
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "::1"})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, remote, xffValue, fwdValue string, useForwarded bool) {
		header := HeaderXForwardedFor
		if useForwarded {
			header = HeaderForwarded
		}
		req, err := http.NewRequest(http.MethodPost, "http://x/v1/logs", http.NoBody)
		require.NoError(t, err)
		req.RemoteAddr = remote
		req.Header["X-Forwarded-For"] = []string{xffValue}
		req.Header["Forwarded"] = []string{fwdValue}
		got := NewResolver(trusted, header).Resolve(req)
		peer := parseHostPort(remote)
		if !peer.IsValid() || !NewResolver(trusted, header).isTrusted(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %q: got %v", remote, got)
			}
			return
		}
		if got != peer && !strings.Contains(xffValue+fwdValue, strings.Trim(got.String(), "[]")) && got.Is4() {
			t.Fatalf("address %v is neither the peer nor in the headers", got)
		}
	})
}
