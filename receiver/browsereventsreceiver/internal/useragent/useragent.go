// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package useragent turns a User-Agent header into browser, OS and device
// type, and recognises crawlers and automated browsers.
package useragent // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/useragent"

import (
	"strings"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/ua-parser/uap-go/uaparser"
)

// Device types, as written to footfall.device.type.
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceBot     = "bot"
	DeviceOther   = "other"
)

// Info is what one User-Agent string says.
type Info struct {
	BrowserName    string
	BrowserVersion string
	OSName         string
	OSVersion      string
	DeviceType     string
	Bot            bool
}

// Parser is safe for concurrent use. uap-go's regular expressions cost tens of
// microseconds per string, and real traffic repeats a few thousand strings, so
// results are cached in a bounded LRU.
type Parser struct {
	uap  *uaparser.Parser
	bots *botMatcher

	mu    sync.Mutex
	cache *simplelru.LRU[string, Info]
}

// maxCachedLength keeps pathological headers from pinning cache memory.
const maxCachedLength = 512

// New returns a parser caching up to cacheSize results; onEvict is called
// under the parser's lock for each result dropped from a full cache.
// User-Agents containing one of allowedBots (case-insensitive) are never
// taken for bots.
func New(cacheSize int, allowedBots []string, onEvict func()) (*Parser, error) {
	cache, err := simplelru.NewLRU[string, Info](cacheSize, func(string, Info) {
		if onEvict != nil {
			onEvict()
		}
	})
	if err != nil {
		return nil, err
	}
	// uap-go's own cache would duplicate ours; keep it minimal.
	uap, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		return nil, err
	}
	bots, err := newBotMatcher(isbotPatterns, allowedBots)
	if err != nil {
		return nil, err
	}
	return &Parser{uap: uap, bots: bots, cache: cache}, nil
}

// Parse returns what the User-Agent string says.
func (p *Parser) Parse(ua string) Info {
	if len(ua) > maxCachedLength {
		return p.parse(ua)
	}
	p.mu.Lock()
	info, ok := p.cache.Get(ua)
	p.mu.Unlock()
	if ok {
		return info
	}
	info = p.parse(ua)
	p.mu.Lock()
	p.cache.Add(ua, info)
	p.mu.Unlock()
	return info
}

func (p *Parser) parse(ua string) Info {
	if strings.TrimSpace(ua) == "" {
		return Info{DeviceType: DeviceOther, Bot: true}
	}
	agent := p.uap.ParseUserAgent(ua)
	os := p.uap.ParseOs(ua)
	device := p.uap.ParseDevice(ua)

	info := Info{
		BrowserName:    knownOrEmpty(agent.Family),
		BrowserVersion: version(agent.Major, agent.Minor),
		OSName:         knownOrEmpty(os.Family),
		OSVersion:      version(os.Major, os.Minor),
	}
	_, info.Bot = p.bots.match(ua)
	info.DeviceType = deviceType(ua, info.OSName, device.Family, info.Bot)
	return info
}

func knownOrEmpty(family string) string {
	if family == "Other" {
		return ""
	}
	return family
}

func version(major, minor string) string {
	switch {
	case major == "":
		return ""
	case minor == "":
		return major
	default:
		return major + "." + minor
	}
}

func deviceType(ua, osName, deviceFamily string, bot bool) string {
	lower := strings.ToLower(ua)
	switch {
	case bot:
		return DeviceBot
	case deviceFamily == "iPad", strings.Contains(lower, "tablet"),
		osName == "Android" && !strings.Contains(lower, "mobile"):
		return DeviceTablet
	case strings.Contains(lower, "mobi"), deviceFamily == "iPhone", deviceFamily == "iPod":
		return DeviceMobile
	// An Xbox's browser says Windows and uap names no device for it, as for
	// a PC; it is a console, as the PlayStation and Switch that uap names.
	case strings.Contains(lower, "xbox"):
		return DeviceOther
	// uap names no device for a PC, but names a Mac's: "Mac". Until
	// 2026-12-06 the second fell through to other, so every Mac did.
	case (deviceFamily == "Other" || deviceFamily == "Mac") && osName != "":
		return DeviceDesktop
	default:
		return DeviceOther
	}
}
