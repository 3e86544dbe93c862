// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package privacy

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScrubKeepsOnlyAllowedParameters(t *testing.T) {
	s := NewURLScrubber([]string{"utm_*", "gclid"})
	tests := map[string]string{ //nolint:gosec // G101: URLs with made-up tokens, to be scrubbed
		"https://shop.example/pricing":                                                    "https://shop.example/pricing",
		"https://shop.example/pricing?utm_source=news&utm_medium=email":                   "https://shop.example/pricing?utm_source=news&utm_medium=email",
		"https://shop.example/reset?token=s3cr3t&email=ann%40example.com&utm_source=mail": "https://shop.example/reset?utm_source=mail",
		"https://shop.example/?gclid=abc&gclidx=1":                                        "https://shop.example/?gclid=abc",
		"https://shop.example/cb#access_token=eyJ&state=1":                                "https://shop.example/cb",
		"https://ann:hunter2@shop.example/p?q=1":                                          "https://shop.example/p",
		"https://shop.example/p?":                                                         "https://shop.example/p",
		"https://shop.example/p?utm%5Fsource=x":                                           "https://shop.example/p?utm%5Fsource=x",
		"android-app://com.google.android.gm/?email=a@b":                                  "android-app://com.google.android.gm/",
		"not a url?email=a@b":                                                             "",
		"/relative?token=1":                                                               "",
		"no query at all":                                                                 "no query at all",
	}
	for in, want := range tests {
		assert.Equal(t, want, s.Scrub(in), in)
	}
}

func TestScrubURLLeavesCleanURLsAlone(t *testing.T) {
	s := NewURLScrubber([]string{"utm_*"})
	u, err := url.Parse("https://shop.example/a/b?utm_campaign=launch")
	require.NoError(t, err)
	assert.Equal(t, "https://shop.example/a/b?utm_campaign=launch", s.ScrubURL(u))
}

// FuzzScrub: a scrubbed URL keeps no parameter outside the allow-list, no
// fragment and no user info, and once a URL is normalised scrubbing it
// again changes nothing.
func FuzzScrub(f *testing.F) {
	for _, seed := range []string{"https://a.example/?utm_source=x&token=y#frag", "http://u:p@h/p?q", "https://h/%zz?a=%zz", "x?y#z"} {
		f.Add(seed)
	}
	s := NewURLScrubber([]string{"utm_*", "gclid"})
	f.Fuzz(func(t *testing.T, raw string) {
		out := s.Scrub(raw)
		if strings.Contains(out, "#") {
			t.Fatalf("fragment kept: %q -> %q", raw, out)
		}
		again := s.Scrub(out)
		if third := s.Scrub(again); third != again {
			t.Fatalf("not stable: %q -> %q -> %q -> %q", raw, out, again, third)
		}
		u, err := url.Parse(out)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return
		}
		if u.User != nil {
			t.Fatalf("user info kept: %q -> %q", raw, out)
		}
		for name := range u.Query() {
			if !s.allows(name) {
				t.Fatalf("parameter %q kept: %q -> %q", name, raw, out)
			}
		}
	})
}

// Clean agrees with scrubbing: a URL is clean exactly when scrubbing would
// leave it as it is.
func TestCleanAgreesWithScrub(t *testing.T) {
	s := NewURLScrubber([]string{"utm_*", "gclid"})
	for _, raw := range []string{
		"https://a.example/", "https://a.example/p?utm_source=x&gclid=1", "https://a.example/p?utm%5Fsource=x",
		"https://a.example/p?utm_source=x&", "https://a.example/p?token=1", "https://a.example/p#f", "https://u@a.example/",
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, s.ScrubURL(u) == u.String(), s.Clean(u), raw)
	}
}
