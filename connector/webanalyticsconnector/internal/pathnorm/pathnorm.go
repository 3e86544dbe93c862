// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package pathnorm turns page paths into templates ("/product/8812" becomes
// "/product/{id}") so that a breakdown by page has a bounded number of values.
package pathnorm // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/pathnorm"

import (
	"fmt"
	"regexp"
	"strings"
)

// Rule rewrites paths matching Match (a regular expression over the whole
// path, query excluded) into Template, which may refer to groups as $1 or ${name}.
type Rule struct {
	Match    string
	Template string
}

// Normalizer is safe for concurrent use.
type Normalizer struct {
	rules       []compiledRule
	maxSegments int
	maxLength   int
}

type compiledRule struct {
	re       *regexp.Regexp
	template string
}

// New compiles rules, tried in order before the built-in id detection. Paths
// keep at most maxSegments segments and maxLength bytes; the rest becomes "…".
func New(rules []Rule, maxSegments, maxLength int) (*Normalizer, error) {
	n := &Normalizer{maxSegments: maxSegments, maxLength: maxLength}
	for i, r := range rules {
		re, err := regexp.Compile("^(?:" + r.Match + ")$")
		if err != nil {
			return nil, fmt.Errorf("path rule %d: %w", i, err)
		}
		n.rules = append(n.rules, compiledRule{re: re, template: r.Template})
	}
	return n, nil
}

const (
	idPlaceholder = "{id}"
	truncated     = "…"
)

// Normalize drops the query and fragment, applies the first matching rule,
// else replaces id-like segments, and bounds the result.
func (n *Normalizer) Normalize(path string) string {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	// Percent-decoded paths can hold any bytes; metric labels must be UTF-8.
	path = strings.ToValidUTF8(path, "\uFFFD")
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	for _, r := range n.rules {
		if m := r.re.FindStringSubmatchIndex(path); m != nil {
			return n.bound(string(r.re.ExpandString(nil, r.template, path, m)))
		}
	}
	segments := strings.Split(path[1:], "/")
	for i, s := range segments {
		if looksLikeID(s) {
			segments[i] = idPlaceholder
		}
	}
	return n.bound("/" + strings.Join(segments, "/"))
}

func (n *Normalizer) bound(path string) string {
	if n.maxSegments > 0 && strings.Count(path, "/") > n.maxSegments {
		parts := strings.SplitN(path, "/", n.maxSegments+2)
		path = strings.Join(parts[:n.maxSegments+1], "/") + "/" + truncated
	}
	if n.maxLength > 0 && len(path) > n.maxLength {
		cut := n.maxLength
		for cut > 1 && !utf8Start(path[cut]) {
			cut--
		}
		path = path[:cut] + truncated
	}
	return path
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// looksLikeID recognises numbers, UUIDs, long hex strings and long tokens
// that mix letters and digits (hashes, slugs with ids, base64 ids).
func looksLikeID(s string) bool {
	if s == "" {
		return false
	}
	digits, letters, hex, other := 0, 0, 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			letters++
			hex++
		case c >= 'g' && c <= 'z', c >= 'G' && c <= 'Z':
			letters++
		case c == '-' || c == '_':
		default:
			other++
		}
	}
	switch {
	case other > 0:
		return false
	case digits == len(s):
		return true
	case len(s) == 36 && strings.Count(s, "-") == 4 && hex == 32:
		return true // UUID
	case hex == len(s) && len(s) >= 12 && digits > 0:
		return true // hex id or hash
	case len(s) >= 16 && digits >= 4 && letters > 0:
		return true // opaque token
	}
	return false
}
