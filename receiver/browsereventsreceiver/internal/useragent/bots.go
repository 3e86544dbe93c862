// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package useragent

//go:generate go run ./internal/isbotgen -modules ../../../../web/bots/node_modules

import (
	"fmt"
	mathbits "math/bits"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// extraMarkers are lower-case substrings of automated User-Agents that the
// isbot list does not catch: performance auditors, monitors and browser
// drivers that send a browser's User-Agent with their name appended.
// TestExtraMarkersAreNeeded fails when the list catches one on its own, so
// that it is removed here.
var extraMarkers = []string{"lighthouse", "gtmetrix", "puppeteer", "uptime", "monitoring", "dart:io"}

// botMatcher tells automated User-Agents from browsers with isbot's
// patterns. Go's regexp has no lookaround and runs one large alternation
// slowly, so each pattern is compiled on its own and found through the
// literal it must contain: a User-Agent is scanned once through a table of
// two-byte prefixes, and only the patterns whose literal occurs in it run.
type botMatcher struct {
	rules []botRule
	// always are the rules with no literal, run on every User-Agent.
	always []int
	// single holds the rules whose literal is one byte, by that byte.
	single [256][]int
	// pairs maps the first two bytes of a literal to an index in byPair.
	pairs  [1 << 16]uint16
	byPair [][]int
	// allowed are lower-case substrings of User-Agents never taken for bots.
	allowed []string
}

// botRule is one pattern.
type botRule struct {
	pattern string
	// literal occurs in every string the pattern matches (lower case);
	// empty when there is none.
	literal string
	// prefix is true when the literal must start the User-Agent.
	prefix bool
	// exact is true when the literal alone decides: no regular expression runs.
	exact bool
	re    *regexp.Regexp
	// whole is true when a match spans the whole input (^...$), so that a
	// User-Agent with a byte outside bytes cannot match.
	whole bool
	bytes byteSet
	// notBefore and notAfter are literals that must not touch a match of re:
	// JavaScript's (?<!a|b) before it and (?!a|b) after it.
	notBefore, notAfter []string
}

func newBotMatcher(patterns, allowed []string) (*botMatcher, error) {
	m := &botMatcher{byPair: [][]int{nil}}
	for _, a := range allowed {
		if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
			m.allowed = append(m.allowed, a)
		}
	}
	for _, p := range patterns {
		rule, err := compileRule(p)
		if err != nil {
			return nil, err
		}
		if err := m.add(rule); err != nil {
			return nil, err
		}
	}
	for _, marker := range extraMarkers {
		if err := m.add(botRule{pattern: marker, literal: marker, exact: true}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *botMatcher) add(rule botRule) error {
	i := len(m.rules)
	if i == maxRules {
		return fmt.Errorf("more than %d bot patterns", maxRules)
	}
	m.rules = append(m.rules, rule)
	switch len(rule.literal) {
	case 0:
		m.always = append(m.always, i)
	case 1:
		m.single[rule.literal[0]] = append(m.single[rule.literal[0]], i)
	default:
		key := pairKey(rule.literal)
		if m.pairs[key] == 0 {
			m.pairs[key] = uint16(len(m.byPair))
			m.byPair = append(m.byPair, nil)
		}
		m.byPair[m.pairs[key]] = append(m.byPair[m.pairs[key]], i)
	}
	return nil
}

func pairKey(s string) uint16 { return uint16(s[0])<<8 | uint16(s[1]) }

// maxRules bounds the rules a matcher holds, so that one match call can
// note the rules to run in a fixed array.
const maxRules = 512

// ruleSet is a set of rule indexes.
type ruleSet [maxRules / 64]uint64

func (s *ruleSet) add(i int)  { s[i>>6] |= 1 << (i & 63) }
func (b *byteSet) add(c byte) { b[c>>6] |= 1 << (c & 63) }
func (b *byteSet) within(o *byteSet) bool {
	return b[0]&^o[0] == 0 && b[1]&^o[1] == 0 && b[2]&^o[2] == 0 && b[3]&^o[3] == 0
}

// byteSet is a set of bytes.
type byteSet [4]uint64

// match reports whether the User-Agent is automated, and the pattern that
// says so. One pass over the User-Agent settles the rules that are their
// literal and notes the others whose literal occurs; those run after it,
// each once.
func (m *botMatcher) match(ua string) (string, bool) {
	lower := strings.ToLower(ua)
	for _, a := range m.allowed {
		if strings.Contains(lower, a) {
			return "", false
		}
	}
	var present byteSet
	var toRun ruleSet
	for i := 0; i < len(lower); i++ {
		present.add(lower[i])
		if rule, ok := m.scanAt(lower, i, m.single[lower[i]], &toRun); ok {
			return rule, true
		}
		if i+1 < len(lower) {
			if bucket := m.pairs[pairKey(lower[i:])]; bucket != 0 {
				if rule, ok := m.scanAt(lower, i, m.byPair[bucket], &toRun); ok {
					return rule, true
				}
			}
		}
	}
	for _, r := range m.always {
		toRun.add(r)
	}
	for w, bits := range toRun {
		for ; bits != 0; bits &= bits - 1 {
			rule := &m.rules[w*64+lowestBit(bits)]
			if rule.whole && !present.within(&rule.bytes) {
				continue
			}
			if rule.matches(lower) {
				return rule.pattern, true
			}
		}
	}
	return "", false
}

// lowestBit is the index of the lowest set bit.
func lowestBit(bits uint64) int { return mathbits.TrailingZeros64(bits) }

// scanAt settles the rules whose literal starts at lower[i:] and is all
// they ask for, and notes the others.
func (m *botMatcher) scanAt(lower string, i int, candidates []int, toRun *ruleSet) (string, bool) {
	for _, r := range candidates {
		rule := &m.rules[r]
		if !strings.HasPrefix(lower[i:], rule.literal) || (rule.prefix && i != 0) {
			continue
		}
		if rule.exact {
			return rule.pattern, true
		}
		toRun.add(r)
	}
	return "", false
}

// matches runs the rule's expression, then its lookaround literals.
func (r *botRule) matches(lower string) bool {
	if r.notBefore == nil && r.notAfter == nil {
		return r.re.MatchString(lower)
	}
	for _, loc := range r.re.FindAllStringIndex(lower, -1) {
		if !hasSuffixAny(lower[:loc[0]], r.notBefore) && !hasPrefixAny(lower[loc[1]:], r.notAfter) {
			return true
		}
	}
	return false
}

func hasSuffixAny(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func hasPrefixAny(s string, prefixes []string) bool {
	for _, x := range prefixes {
		if strings.HasPrefix(s, x) {
			return true
		}
	}
	return false
}

// compileRule turns one JavaScript pattern into a rule. Lookarounds are
// accepted where isbot uses them: a negative lookbehind opening the pattern
// and a negative lookahead closing it, each an alternation of plain text.
// Anything else fails here, so that a list update that needs more fails
// `make generate`'s tests rather than matching differently.
func compileRule(pattern string) (botRule, error) {
	rule := botRule{pattern: pattern}
	core := pattern
	var err error
	if rest, ok := strings.CutPrefix(core, "(?<!"); ok {
		var group string
		group, core, err = cutGroup(rest)
		if err != nil {
			return rule, fmt.Errorf("pattern %q: %w", pattern, err)
		}
		if rule.notBefore, err = literals(group); err != nil {
			return rule, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	if i := strings.LastIndex(core, "(?!"); i >= 0 {
		group, rest, err := cutGroup(core[i+len("(?!"):])
		if err != nil || rest != "" {
			return rule, fmt.Errorf("pattern %q: a lookahead must close the pattern", pattern)
		}
		group = strings.TrimSuffix(strings.TrimPrefix(group, "(?:"), ")")
		if rule.notAfter, err = literals(group); err != nil {
			return rule, fmt.Errorf("pattern %q: %w", pattern, err)
		}
		core = core[:i]
	}
	if strings.Contains(core, "(?<") || strings.Contains(core, "(?=") || strings.Contains(core, "(?!") {
		return rule, fmt.Errorf("pattern %q: a lookaround Go cannot run", pattern)
	}
	// JavaScript reads a hyphen after a class escape in brackets ([\d-.])
	// as itself; RE2 refuses it as a range.
	core = strings.ReplaceAll(core, `\d-.`, `\d\-.`)
	re, err := syntax.Parse(core, syntax.Perl)
	if err != nil {
		return rule, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	re = re.Simplify()
	rule.literal, rule.prefix, rule.exact = requiredLiteral(re)
	if rule.notBefore != nil || rule.notAfter != nil {
		rule.exact = false
	}
	rule.whole, rule.bytes = wholeInput(re)
	// User-Agents are lower-cased before matching; isbot's patterns are
	// lower case, and folding case makes Go's regexp slower.
	if strings.ToLower(core) != core {
		core = "(?i)" + core
	}
	if rule.re, err = regexp.Compile(core); err != nil {
		return rule, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return rule, nil
}

// cutGroup splits "a|b)rest" at the parenthesis closing the group.
func cutGroup(s string) (group, rest string, err error) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return s[:i], s[i+1:], nil
			}
			depth--
		}
	}
	return "", "", fmt.Errorf("unclosed group")
}

// literals splits a lookaround's alternation of plain text.
func literals(group string) ([]string, error) {
	var out []string
	for alt := range strings.SplitSeq(group, "|") {
		re, err := syntax.Parse(alt, syntax.Perl)
		if err != nil {
			return nil, err
		}
		if re.Op != syntax.OpLiteral {
			return nil, fmt.Errorf("lookaround %q is not plain text", alt)
		}
		out = append(out, strings.ToLower(string(re.Rune)))
	}
	return out, nil
}

// requiredLiteral finds the longest text every match contains: the pattern
// itself when it is text, or the longest text of a sequence. prefix says
// that text starts the input; exact that nothing else is asked for.
func requiredLiteral(re *syntax.Regexp) (literal string, prefix, exact bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return strings.ToLower(string(re.Rune)), false, true
	case syntax.OpConcat:
		anchored := len(re.Sub) > 0 && re.Sub[0].Op == syntax.OpBeginText
		best := -1
		for i, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral && (best < 0 || len(sub.Rune) > len(re.Sub[best].Rune)) {
				best = i
			}
		}
		if best < 0 {
			return "", false, false
		}
		literal = strings.ToLower(string(re.Sub[best].Rune))
		prefix = anchored && best == 1
		exact = prefix && len(re.Sub) == 2
		return literal, prefix, exact
	}
	return "", false, false
}

// wholeInput reports whether every match of re spans the whole input, and
// the bytes such a match can hold (lower case).
func wholeInput(re *syntax.Regexp) (bool, byteSet) {
	var set byteSet
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[len(re.Sub)-1].Op != syntax.OpEndText {
		return false, set
	}
	if !addBytes(re, &set) {
		return false, set
	}
	return true, set
}

// addBytes adds the bytes re can match to set; false when it can match
// any byte (or non-ASCII text).
func addBytes(re *syntax.Regexp, set *byteSet) bool {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r >= 0x80 {
				return false
			}
			set.add(byte(unicode.ToLower(r)))
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] >= 0x80 {
				return false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set.add(byte(unicode.ToLower(r)))
			}
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return false
	}
	for _, sub := range re.Sub {
		if !addBytes(sub, set) {
			return false
		}
	}
	return true
}
