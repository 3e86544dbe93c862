// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package botrules

import (
	_ "embed"
	"strings"
)

// referrerSpamList is matomo-org/referrer-spam-list's spammers.txt (Public
// Domain), pinned at the commit its header names.
//
//go:embed referrer_spam.txt
var referrerSpamList string

// Domains is a set of domain names that also holds their subdomains.
type Domains struct {
	names map[string]struct{}
}

// ReferrerSpamList returns the pinned referrer-spam list.
func ReferrerSpamList() *Domains { return ParseDomains(referrerSpamList) }

// ParseDomains reads one domain per line; blank lines and lines starting
// with # are ignored.
func ParseDomains(text string) *Domains {
	d := &Domains{names: map[string]struct{}{}}
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d.names[strings.TrimSuffix(line, ".")] = struct{}{}
	}
	return d
}

// Contains reports whether host or one of its parent domains is in the set;
// a nil set contains nothing.
func (d *Domains) Contains(host string) bool {
	if d == nil || host == "" {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	for {
		if _, ok := d.names[host]; ok {
			return true
		}
		_, parent, found := strings.Cut(host, ".")
		if !found || !strings.Contains(parent, ".") {
			return false
		}
		host = parent
	}
}

// Len is the number of domains.
func (d *Domains) Len() int {
	if d == nil {
		return 0
	}
	return len(d.names)
}
