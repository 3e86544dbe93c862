// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package useragent

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	chromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	safariIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	safariIPad    = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	androidPhone  = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
	androidTablet = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	firefoxLinux  = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
	googlebot     = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	headless      = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)

func TestParse(t *testing.T) {
	p, err := New(16, nil, nil)
	require.NoError(t, err)
	tests := []struct {
		ua   string
		want Info
	}{
		{chromeWindows, Info{BrowserName: "Chrome", BrowserVersion: "131.0", OSName: "Windows", OSVersion: "10", DeviceType: DeviceDesktop}},
		{safariIPhone, Info{BrowserName: "Mobile Safari", BrowserVersion: "17.5", OSName: "iOS", OSVersion: "17.5", DeviceType: DeviceMobile}},
		{safariIPad, Info{BrowserName: "Mobile Safari", BrowserVersion: "17.5", OSName: "iOS", OSVersion: "17.5", DeviceType: DeviceTablet}},
		{androidPhone, Info{BrowserName: "Chrome Mobile", BrowserVersion: "131.0", OSName: "Android", OSVersion: "14", DeviceType: DeviceMobile}},
		{androidTablet, Info{BrowserName: "Chrome", BrowserVersion: "131.0", OSName: "Android", OSVersion: "13", DeviceType: DeviceTablet}},
		{firefoxLinux, Info{BrowserName: "Firefox", BrowserVersion: "133.0", OSName: "Linux", DeviceType: DeviceDesktop}},
		{googlebot, Info{BrowserName: "Googlebot", BrowserVersion: "2.1", DeviceType: DeviceBot, Bot: true}},
		{headless, Info{BrowserName: "HeadlessChrome", BrowserVersion: "131.0", OSName: "Linux", DeviceType: DeviceBot, Bot: true}},
		{"curl/8.5.0", Info{BrowserName: "curl", BrowserVersion: "8.5", DeviceType: DeviceBot, Bot: true}},
		{"", Info{DeviceType: DeviceOther, Bot: true}},
	}
	for _, tt := range tests {
		t.Run(tt.ua, func(t *testing.T) {
			assert.Equal(t, tt.want, p.Parse(tt.ua))
			assert.Equal(t, tt.want, p.Parse(tt.ua), "cached result is the same")
		})
	}
}

// The device type against where each of the most common browser
// User-Agents was seen (top-user-agents' desktop and mobile lists): a
// desktop's is desktop; a mobile's is mobile or tablet (an Android browser
// that does not say Mobile is taken for a tablet, as tablets' do not).
func TestDeviceTypeMatchesWhereTheAgentWasSeen(t *testing.T) {
	p, err := New(16, nil, nil)
	require.NoError(t, err)
	desktops := readLines(t, "testdata/desktop_browsers_generated.txt")
	require.NotEmpty(t, desktops)
	macs := 0
	for _, ua := range desktops {
		assert.Equal(t, DeviceDesktop, p.Parse(ua).DeviceType, ua)
		if strings.Contains(ua, "Macintosh") {
			macs++
		}
	}
	assert.Positive(t, macs, "the desktop list has Macs")
	mobiles := readLines(t, "testdata/mobile_browsers_generated.txt")
	require.NotEmpty(t, mobiles)
	for _, ua := range mobiles {
		assert.Contains(t, []string{DeviceMobile, DeviceTablet}, p.Parse(ua).DeviceType, ua)
	}
}

func TestCacheIsBounded(t *testing.T) {
	evicted := 0
	p, err := New(2, nil, func() { evicted++ })
	require.NoError(t, err)
	for _, ua := range []string{chromeWindows, safariIPhone, firefoxLinux, googlebot} {
		p.Parse(ua)
	}
	assert.Equal(t, 2, evicted)
	assert.Equal(t, 2, p.cache.Len())
}

// A game console's browser is other, not desktop, though an Xbox's says
// Windows; a PlayStation's and a Switch's are named by uap.
func TestAConsoleIsOther(t *testing.T) {
	p, err := New(16, nil, nil)
	require.NoError(t, err)
	for _, ua := range []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19041",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox Series X) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/48.0.2564.82 Safari/537.36 Edge/20.02",
		"Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15",
		"Mozilla/5.0 (Nintendo Switch; WifiWebAuthApplet) AppleWebKit/606.4 (KHTML, like Gecko) NF/6.0.1.15.4 NintendoBrowser/5.1.0.20393",
	} {
		assert.Equal(t, DeviceOther, p.Parse(ua).DeviceType, ua)
	}
}
