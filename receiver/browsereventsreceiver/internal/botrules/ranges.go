// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package botrules

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// maxRanges bounds an operator's list: public cloud lists hold tens of
// thousands of ranges, and each costs a map entry.
const maxRanges = 1_000_000

// Ranges is a set of IP ranges, looked up with one map probe per distinct
// prefix length in it.
type Ranges struct {
	bits     []int
	prefixes map[netip.Prefix]struct{}
}

// ParseRanges reads one CIDR range or address per line; blank lines and
// text after # are ignored. name is used in errors.
func ParseRanges(name string, r io.Reader) (*Ranges, error) {
	set := &Ranges{prefixes: map[netip.Prefix]struct{}{}}
	scanner := bufio.NewScanner(r)
	line := 0
	for scanner.Scan() {
		line++
		text, _, _ := strings.Cut(scanner.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		prefix, err := parsePrefix(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %q is not a CIDR range or an address", name, line, text)
		}
		if len(set.prefixes) == maxRanges {
			return nil, fmt.Errorf("%s: more than %d ranges", name, maxRanges)
		}
		set.prefixes[prefix] = struct{}{}
		if !slices.Contains(set.bits, prefix.Bits()+bitsOffset(prefix.Addr())) {
			set.bits = append(set.bits, prefix.Bits()+bitsOffset(prefix.Addr()))
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return set, nil
}

// bitsOffset keeps IPv4 and IPv6 lengths apart in Ranges.bits.
func bitsOffset(a netip.Addr) int {
	if a.Is4() {
		return 0
	}
	return 1000
}

func parsePrefix(text string) (netip.Prefix, error) {
	if strings.Contains(text, "/") {
		p, err := netip.ParsePrefix(text)
		if err != nil {
			return netip.Prefix{}, err
		}
		return normalize(p.Addr()).Prefix(p.Bits() - (p.Addr().BitLen() - normalize(p.Addr()).BitLen()))
	}
	a, err := netip.ParseAddr(text)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = normalize(a)
	return a.Prefix(a.BitLen())
}

// normalize turns IPv4-mapped IPv6 addresses into IPv4, as the client
// address is, and drops zones.
func normalize(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }

// Contains reports whether the address is in one of the ranges; a nil set
// contains nothing.
func (s *Ranges) Contains(a netip.Addr) bool {
	if s == nil || !a.IsValid() {
		return false
	}
	a = normalize(a)
	offset := bitsOffset(a)
	for _, b := range s.bits {
		if b-offset < 0 || b-offset > a.BitLen() {
			continue
		}
		if p, err := a.Prefix(b - offset); err == nil {
			if _, ok := s.prefixes[p]; ok {
				return true
			}
		}
	}
	return false
}

// Len is the number of ranges.
func (s *Ranges) Len() int {
	if s == nil {
		return 0
	}
	return len(s.prefixes)
}
