// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package pathnorm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	n, err := New([]Rule{
		{Match: `/blog/(?P<year>\d{4})/[^/]+`, Template: "/blog/${year}/{slug}"},
		{Match: `/u/[^/]+(/.*)?`, Template: "/u/{user}$1"},
	}, 6, 80)
	require.NoError(t, err)
	tests := map[string]string{
		"":                          "/",
		"/":                         "/",
		"/pricing?utm_source=x#top": "/pricing",
		"/product/8812":             "/product/{id}",
		"/product/8812/reviews":     "/product/{id}/reviews",
		"/order/3f2b8f9e-cb1e-4d8e-9b7a-0d3e5f6a7b8c":      "/order/{id}",
		"/commit/9fceb02d0ae598e95dc970b74767f19372d61af8": "/commit/{id}",
		"/files/a1b2c3d4e5f6a7b8c9d0":                      "/files/{id}",
		"/docs/getting-started":                            "/docs/getting-started",
		"/docs/v2":                                         "/docs/v2",
		"/cafe/decade":                                     "/cafe/decade",
		"/blog/2026/hello-world":                           "/blog/2026/{slug}",
		"/u/alice/settings":                                "/u/{user}/settings",
		"/a/b/c/d/e/f/g/h":                                 "/a/b/c/d/e/f/…",
		"no-leading-slash":                                 "/no-leading-slash",
		"/" + strings.Repeat("x", 100):                     "/" + strings.Repeat("x", 79) + "…",
		"/" + strings.Repeat("é", 60):                      "/" + strings.Repeat("é", 39) + "…",
	}
	for in, want := range tests {
		assert.Equal(t, want, n.Normalize(in), in)
	}
}

func TestBadRule(t *testing.T) {
	_, err := New([]Rule{{Match: "/(unclosed", Template: "/x"}}, 0, 0)
	require.ErrorContains(t, err, "path rule 0")
}

func FuzzNormalizeIsBoundedAndStable(f *testing.F) {
	n, err := New(nil, 6, 80)
	require.NoError(f, err)
	for _, s := range []string{"/", "/product/1", "/a/b?c#d", "/é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		out := n.Normalize(path)
		if !strings.HasPrefix(out, "/") {
			t.Fatalf("%q -> %q does not start with /", path, out)
		}
		if len(out) > 80+len(truncated) {
			t.Fatalf("%q -> %q is longer than the bound", path, out)
		}
		if again := n.Normalize(out); again != out && !strings.Contains(out, truncated) {
			t.Fatalf("not idempotent: %q -> %q -> %q", path, out, again)
		}
	})
}

func TestInvalidUTF8BecomesReplacementCharacters(t *testing.T) {
	n, err := New(nil, 6, 8)
	require.NoError(t, err)
	assert.Equal(t, "/a\uFFFDb", n.Normalize("/a\xffb"))
	assert.Equal(t, "/\uFFFD", n.Normalize("/\x9d\x9d\x9d\x9d"), "a run of bad bytes becomes one replacement")
	short, err := New(nil, 6, 7)
	require.NoError(t, err)
	assert.Equal(t, "/abcd…", short.Normalize("/abcd\xffxyz"), "the cut backs off to a character boundary")
}
