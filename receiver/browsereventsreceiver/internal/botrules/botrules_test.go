// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package botrules

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/schema"
)

func TestRanges(t *testing.T) {
	ranges, err := ParseRanges("dc.txt", strings.NewReader(`
# a cloud
203.0.113.0/24
198.51.100.7          # one host
2001:db8:a::/48
::ffff:192.0.2.0/120
`))
	require.NoError(t, err)
	assert.Equal(t, 4, ranges.Len())
	for addr, want := range map[string]bool{
		"203.0.113.9":        true,
		"203.0.114.9":        false,
		"198.51.100.7":       true,
		"198.51.100.8":       false,
		"2001:db8:a:1::1":    true,
		"2001:db8:b::1":      false,
		"192.0.2.200":        true,
		"::ffff:203.0.113.1": true,
		"::ffff:203.0.114.1": false,
	} {
		assert.Equal(t, want, ranges.Contains(netip.MustParseAddr(addr)), addr)
	}
	assert.False(t, (*Ranges)(nil).Contains(netip.MustParseAddr("203.0.113.9")))
	assert.False(t, ranges.Contains(netip.Addr{}))
}

func TestRangesRefuseBadLines(t *testing.T) {
	_, err := ParseRanges("dc.txt", strings.NewReader("10.0.0.0/8\nnot-a-range\n"))
	assert.EqualError(t, err, `dc.txt:2: "not-a-range" is not a CIDR range or an address`)
	_, err = ParseRanges("dc.txt", strings.NewReader("10.0.0.0/33\n"))
	assert.Error(t, err)
}

func TestReferrerSpamList(t *testing.T) {
	list := ReferrerSpamList()
	assert.Greater(t, list.Len(), 2000)
	assert.True(t, list.Contains("0-0.fr"))
	assert.True(t, list.Contains("www.0-0.FR."), "subdomains and case")
	assert.False(t, list.Contains("fr"))
	assert.False(t, list.Contains("example.com"))
	assert.False(t, list.Contains("news.ycombinator.com"))
	assert.False(t, list.Contains("www.google.com"))
}

func TestRequest(t *testing.T) {
	ranges, err := ParseRanges("dc", strings.NewReader("203.0.113.0/24"))
	require.NoError(t, err)
	r := &Rules{Datacenters: ranges}
	person := netip.MustParseAddr("192.0.2.1")
	cloud := netip.MustParseAddr("203.0.113.5")
	const chrome = `"Chromium";v="131", "Not_A Brand";v="24", "Google Chrome";v="131"`
	const headless = `"Chromium";v="131", "Not_A Brand";v="24", "HeadlessChrome";v="131"`
	assert.Empty(t, r.Request(false, chrome, person))
	assert.Empty(t, r.Request(false, "", person))
	assert.Equal(t, schema.BotReasonUserAgent, r.Request(true, chrome, cloud))
	assert.Equal(t, schema.BotReasonClientHint, r.Request(false, headless, person))
	assert.Equal(t, schema.BotReasonDatacenter, r.Request(false, chrome, cloud))
	assert.Empty(t, (&Rules{}).Request(false, chrome, cloud), "no ranges: no datacenter rule")
	spam := &Rules{ReferrerSpam: ReferrerSpamList()}
	for ref, want := range map[string]bool{
		"https://0-0.fr/":                       true,
		"http://www.0-0.FR:8080/x?y#z":          true,
		"https://user@promo.0-0.fr":             true,
		"https://0-0.fr.example.com/":           false,
		"https://example.com/?r=https://0-0.fr": false,
		"0-0.fr":                                false,
		"https://[2001:db8::1]/":                false,
		"":                                      false,
	} {
		assert.Equal(t, want, spam.Referrer(ref) == schema.BotReasonReferrerSpam, ref)
	}
	assert.Empty(t, (&Rules{}).Referrer("https://0-0.fr/"))
}
