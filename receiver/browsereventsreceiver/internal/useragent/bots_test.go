// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package useragent

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readLines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 64*1024), 64*1024)
	for scanner.Scan() {
		if line := scanner.Text(); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	require.NoError(t, scanner.Err())
	require.NotEmpty(t, lines, path)
	return lines
}

func newTestMatcher(t testing.TB, allowed ...string) *botMatcher {
	t.Helper()
	m, err := newBotMatcher(isbotPatterns, allowed)
	require.NoError(t, err)
	return m
}

// TestPublicCrawlerListIsCaught checks the classifier against
// crawler-user-agents (MIT): every string there is a crawler's.
func TestPublicCrawlerListIsCaught(t *testing.T) {
	m := newTestMatcher(t)
	crawlers := readLines(t, "testdata/crawlers_generated.txt")
	var missed []string
	for _, ua := range crawlers {
		if _, ok := m.match(ua); !ok {
			missed = append(missed, ua)
		}
	}
	caught := float64(len(crawlers)-len(missed)) / float64(len(crawlers))
	t.Logf("caught %d of %d public crawler User-Agents (%.2f%%); missed:\n%s", len(crawlers)-len(missed), len(crawlers), 100*caught, strings.Join(missed, "\n"))
	assert.GreaterOrEqual(t, caught, 0.99)
}

// TestCommonBrowsersAreNotBots checks the 100 most common browser
// User-Agents of top-user-agents (MIT): people use every one of them,
// including an Electron desktop app.
func TestCommonBrowsersAreNotBots(t *testing.T) {
	m := newTestMatcher(t)
	browsers := readLines(t, "testdata/browsers_generated.txt")
	require.Len(t, browsers, 100)
	for _, ua := range browsers {
		pattern, ok := m.match(ua)
		assert.False(t, ok, "%s is taken for a bot by %q", ua, pattern)
	}
}

// TestClassifierFixtures is the hand-picked set: crawlers, monitors, HTTP
// libraries, headless and driven browsers, and people's browsers including
// Electron apps and in-app browsers. Each line is "bot<TAB>UA" or "human<TAB>UA".
func TestClassifierFixtures(t *testing.T) {
	m := newTestMatcher(t)
	for _, line := range readLines(t, "testdata/classifier.tsv") {
		want, ua, ok := strings.Cut(line, "\t")
		require.True(t, ok, line)
		require.Contains(t, []string{"bot", "human"}, want, line)
		pattern, got := m.match(ua)
		assert.Equal(t, want == "bot", got, "%s (pattern %q)", ua, pattern)
	}
}

// TestLookarounds checks the JavaScript lookarounds Go's regexp lacks, on
// both sides of each.
func TestLookarounds(t *testing.T) {
	m := newTestMatcher(t)
	tests := map[string]bool{
		"Mozilla/5.0 (compatible; Googlebot/2.1)":                   true,
		"Mozilla/5.0 (Linux; Android 14; wv) GoogleWebLight":        true,
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) GoogleApp/15.0":   false,
		"Mozilla/5.0 (Linux; Android 14) Mobile Google Pixel 8":     false,
		"Mozilla/5.0 (Linux; Android 14) channel/google Mobile":     false,
		"Mozilla/5.0 (Linux; Android 14) channel/googlex Mobile":    false,
		"Mozilla/5.0 (Linux; Android 14) Mobile Safari google maps": true,
		"Mozilla/5.0 (Linux; Android 13; Cubot X30) Mobile Safari":  false,
		"Mozilla/5.0 (Linux; Android 13; Robot X30) Mobile Safari":  true,
		"Mozilla/5.0 (Linux; Android 12) CamScanner/6.0 Mobile":     false,
		"Mozilla/5.0 (Linux; Android 12) MyScanner/6.0 Mobile":      true,
		"Mozilla/5.0 (X11) libhttp/2.0 Gecko":                       false,
		"Mozilla/5.0 (X11) myhttp/2.0 Gecko":                        true,
		"Mozilla/5.0 (Windows NT 10.0) Chrome/120 NewsSapphire/2.0": false,
		"Mozilla/5.0 (Windows NT 10.0) Chrome/120 NewsReader/2.0":   true,
		"Mozilla/5.0 (Windows NT 10.0; Java; rv:1) Gecko":           false,
		"Mozilla/5.0 (Windows NT 10.0) Java/17 Gecko":               true,
	}
	for ua, want := range tests {
		pattern, got := m.match(ua)
		assert.Equal(t, want, got, "%s (pattern %q)", ua, pattern)
	}
}

// TestPrefilterFindsWhatThePatternsFind runs every pattern on its own,
// without the literal table, over both public lists and the fixtures: the
// table may only skip patterns that cannot match.
func TestPrefilterFindsWhatThePatternsFind(t *testing.T) {
	m := newTestMatcher(t)
	var uas []string
	uas = append(uas, readLines(t, "testdata/crawlers_generated.txt")...)
	uas = append(uas, readLines(t, "testdata/browsers_generated.txt")...)
	for _, line := range readLines(t, "testdata/classifier.tsv") {
		_, ua, _ := strings.Cut(line, "\t")
		uas = append(uas, ua)
	}
	for _, ua := range uas {
		_, got := m.match(ua)
		assert.Equal(t, everyPattern(m, ua), got, ua)
	}
}

// everyPattern runs every rule on its own, without the literal table.
func everyPattern(m *botMatcher, ua string) bool {
	lower := strings.ToLower(ua)
	for i := range m.rules {
		rule := &m.rules[i]
		if rule.re == nil && strings.Contains(lower, rule.literal) || rule.re != nil && rule.matches(lower) {
			return true
		}
	}
	return false
}

// TestExtraMarkersAreNeeded keeps extraMarkers to what the list lacks.
func TestExtraMarkersAreNeeded(t *testing.T) {
	listOnly := newTestMatcher(t)
	listOnly.rules = listOnly.rules[:len(isbotPatterns)]
	for _, marker := range extraMarkers {
		ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 " + marker
		lower := strings.ToLower(ua)
		for i := range listOnly.rules {
			assert.False(t, listOnly.rules[i].matches(lower), "isbot %s already catches %q with %q: drop it from extraMarkers", isbotVersion, marker, listOnly.rules[i].pattern)
		}
		_, ok := newTestMatcher(t).match(ua)
		assert.True(t, ok, marker)
	}
}

func TestAllowedUserAgents(t *testing.T) {
	const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) AcmeKiosk/2.0 Chrome/131.0.0.0 Safari/537.36 Preview"
	_, ok := newTestMatcher(t).match(ua)
	require.True(t, ok, "preview is on the list")
	_, ok = newTestMatcher(t, " acmekiosk/").match(ua)
	assert.False(t, ok, "allowed, case-insensitive")
}

func TestEveryPatternCompiles(t *testing.T) {
	for _, p := range isbotPatterns {
		_, err := compileRule(p)
		assert.NoError(t, err, p)
	}
	for _, bad := range []string{"a(?=b)c", "(?<!a.)b", "a(?!b)c"} {
		_, err := compileRule(bad)
		assert.Error(t, err, bad)
	}
}

// BenchmarkBotMatchMiss classifies browsers' User-Agents (no pattern
// matches: every candidate runs), BenchmarkBotMatchCrawler crawlers'.
func BenchmarkBotMatchMiss(b *testing.B)    { benchmarkMatch(b, "testdata/browsers_generated.txt") }
func BenchmarkBotMatchCrawler(b *testing.B) { benchmarkMatch(b, "testdata/crawlers_generated.txt") }

func benchmarkMatch(b *testing.B, list string) {
	m := newTestMatcher(b)
	uas := readLines(b, list)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.match(uas[i%len(uas)])
	}
}

// FuzzBotMatch: for any User-Agent, the literal table finds what running
// every pattern finds, and nothing panics.
func FuzzBotMatch(f *testing.F) {
	for _, line := range readLines(f, "testdata/classifier.tsv") {
		_, ua, _ := strings.Cut(line, "\t")
		f.Add(ua)
	}
	f.Add("")
	f.Add("\xff\xfe google\x00bot")
	m := newTestMatcher(f)
	f.Fuzz(func(t *testing.T, ua string) {
		if _, got := m.match(ua); got != everyPattern(m, ua) {
			t.Fatalf("match(%q) = %v, every pattern says %v", ua, got, !got)
		}
	})
}
