// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package clientip

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	trusted, err := ParsePrefixes([]string{"10.0.0.0/8", "192.0.2.1", "::1"})
	require.NoError(t, err)
	r := NewResolver(trusted)

	tests := []struct {
		name    string
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
		{name: "Forwarded header wins", remote: "192.0.2.1:80", headers: map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https, for=10.9.9.9`, "X-Forwarded-For": "198.51.100.1"}, want: "2001:db8::7"},
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
