// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"encoding/hex"
	"hash/fnv"

	"github.com/footfall-analytics/footfall/internal/sitezone"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// coreConfig is what the synchronous core needs of the settings.
func (cfg *Config) coreConfig() core.Config {
	return core.Config{
		Rules:                  cfg.rules(),
		NewSessionID:           sessionID,
		MaxSessions:            cfg.MaxSessions,
		MaxPending:             cfg.MaxPendingEvents,
		AllowedLateness:        cfg.AllowedLateness,
		WatermarkIdleTimeout:   cfg.WatermarkIdleTimeout,
		DedupWindow:            cfg.DedupWindow,
		DedupMaxEntries:        cfg.DedupMaxEntries,
		ReturningVisitorWindow: cfg.ReturningVisitorWindow,
		MaxRememberedVisitors:  cfg.MaxRememberedVisitors,
	}
}

// rules returns each site's session boundaries. Config.Validate has checked
// the time zones.
func (cfg *Config) rules() func(site string) session.Rules {
	zones, _ := cfg.Zones() // Validate refused a zone that cannot load
	base := session.Rules{
		InactivityTimeout:     cfg.InactivityTimeout,
		MaxDuration:           cfg.MaxDuration,
		SplitAtMidnight:       cfg.SplitAtMidnight,
		Location:              zones.Of(""),
		SplitOnCampaignChange: cfg.SplitOnCampaignChange,
		Bots:                  cfg.Bots.rules(),
	}
	perSite := make(map[string]session.Rules, len(cfg.Sites))
	for site, sc := range cfg.Sites {
		r := base
		r.Location = zones.Of(site)
		if sc.Bots != nil {
			r.Bots = sc.Bots.rules()
		}
		perSite[site] = r
	}
	return func(site string) session.Rules {
		if r, ok := perSite[site]; ok {
			return r
		}
		return base
	}
}

// Zones are the sites' time zones (for midnight).
func (cfg *Config) Zones() (sitezone.Zones, error) {
	own := make(map[string]string, len(cfg.Sites))
	for site, sc := range cfg.Sites {
		own[site] = sc.TimeZone
	}
	return sitezone.Load(cfg.TimeZone, own)
}

// sessionID names a session after the event that opened it, so that
// replaying the same events gives the same ids (and the Elasticsearch
// exporter, which stores sessions by id, stays idempotent across replays).
func sessionID(opening session.Input) string {
	h := fnv.New128a()
	for _, part := range []string{opening.Key.Site, opening.Key.Visitor, opening.EventID} {
		_, _ = h.Write([]byte(part))
		_, _ = h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
