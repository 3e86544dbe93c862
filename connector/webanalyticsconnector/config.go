// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/pathnorm"
	"github.com/footfall-analytics/footfall/internal/confkeys"
	"github.com/footfall-analytics/footfall/internal/dedup"
)

// Config defines configuration for the web analytics connector. Every metric
// is defined in docs/metrics.md.
type Config struct {
	// PathRules turn paths into templates before the built-in id detection
	// (numbers, UUIDs, long hex and token segments become {id}).
	PathRules []PathRule `mapstructure:"path_rules"`
	// TopK is how many values each breakdown keeps per site; the rest count
	// as "other". Default 50.
	TopK int `mapstructure:"top_k"`
	// MaxSeriesPerSite bounds the series one site may have, so that no site
	// can take the room of another. Default 2000.
	MaxSeriesPerSite int `mapstructure:"max_series_per_site"`
	// MaxSeries bounds the series the connector exports for all sites
	// together, a last resort behind max_series_per_site. Default 20000.
	MaxSeries int `mapstructure:"max_series"`

	// CurrentVisitorsWindow is the window of the current-visitors gauge, in
	// whole minutes from 1m to 60m. Default 5m.
	CurrentVisitorsWindow time.Duration `mapstructure:"current_visitors_window"`
	// FlushInterval is how often metrics go to the next consumer. Default
	// 250ms: a click shows on /metrics and the live view within a second.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// HourlyRefreshInterval is how often the last-hour and today unique
	// visitor gauges are recomputed (the 5-minute and current gauges follow
	// every flush). Default 10s.
	HourlyRefreshInterval time.Duration `mapstructure:"hourly_refresh_interval"`

	// Properties lists, per event name, the custom properties (record
	// attributes) broken down by value in footfall.events.by_property: for
	// example `signup: [plan]` or `browser.page_view: [author]`. Each event
	// name and property keeps its own top_k values per site; values are
	// trimmed and cut to 64 bytes, and values that cannot be labels are
	// counted as skipped (invalid_property). At most 32 properties in all.
	// Default none.
	Properties map[string][]string `mapstructure:"properties"`
	// RevenueDedupMaxEntries bounds the event ids remembered so that revenue
	// is counted once per event id. Default 100000.
	RevenueDedupMaxEntries int `mapstructure:"revenue_dedup_max_entries"`
	// RevenueDedupWindow is how long, in event time, they are remembered. Default 24h.
	RevenueDedupWindow time.Duration `mapstructure:"revenue_dedup_window"`

	// Storage is the ID of the storage extension the sessionize processor
	// keeps its checkpoints in: every counter, histogram, top-K and visitor
	// sketch is saved with them, so that after a restart or a crash every
	// series continues from the checkpoint, each event counted once.
	// Default none: a restart starts every series from zero.
	Storage *component.ID `mapstructure:"storage"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// PathRule rewrites paths matching Match (a regular expression over the
// whole path) into Template, which may use $1 or ${name}.
type PathRule struct {
	Match    string `mapstructure:"match"`
	Template string `mapstructure:"template"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// movedToSessionize are the settings the connector takes from the records
// of the sessionize processor, which is configured with them: declaring
// them here as well let the two disagree.
var movedToSessionize = []confkeys.Refused{
	{Key: "goals", Verdict: noLongerHere, Instead: "declare goals once, on the sessionize processor: it marks goal events (footfall.event.goal) and the connector counts what it marks"},
	{Key: "allowed_lateness", Verdict: noLongerHere, Instead: "the sessionize processor's allowed_lateness decides which events are late (footfall.event.late), and the connector counts what it marks"},
	{Key: "time_zone", Verdict: noLongerHere, Instead: timeZonesInstead},
	{Key: "sites", Verdict: noLongerHere, Instead: timeZonesInstead},
}

const timeZonesInstead = "set time_zone and sites::<id>::time_zone once, on the sessionize processor: it names each site's time zone on its records (footfall.site.time_zone), and the connector's \"today\" follows it"

const noLongerHere = "is no longer a setting of the webanalytics connector"

// Unmarshal refuses the settings the sessionize processor holds, naming
// where they went.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	return confkeys.Unmarshal(conf, cfg, movedToSessionize)
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.TopK < 1 {
		errs = append(errs, fmt.Errorf("top_k must be at least 1, got %d", cfg.TopK))
	}
	if cfg.MaxSeries < 1 {
		errs = append(errs, fmt.Errorf("max_series must be at least 1, got %d", cfg.MaxSeries))
	}
	if cfg.MaxSeriesPerSite < 1 || cfg.MaxSeriesPerSite > cfg.MaxSeries {
		errs = append(errs, fmt.Errorf("max_series_per_site must be from 1 to max_series (%d), got %d", cfg.MaxSeries, cfg.MaxSeriesPerSite))
	}
	w := cfg.CurrentVisitorsWindow
	if w < time.Minute || w > time.Hour || w%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("current_visitors_window must be whole minutes from 1m to 60m, got %s", w))
	}
	if cfg.FlushInterval <= 0 || cfg.HourlyRefreshInterval <= 0 {
		errs = append(errs, errors.New("flush_interval and hourly_refresh_interval must be positive"))
	}
	if cfg.RevenueDedupMaxEntries < 1 || cfg.RevenueDedupWindow <= 0 {
		errs = append(errs, errors.New("revenue_dedup_max_entries and revenue_dedup_window must be positive"))
	}
	if cfg.RevenueDedupMaxEntries > dedup.MaxEntries {
		errs = append(errs, fmt.Errorf("revenue_dedup_max_entries must be at most %d, got %d", dedup.MaxEntries, cfg.RevenueDedupMaxEntries))
	}
	errs = append(errs, cfg.validateProperties()...)
	if _, err := pathnorm.New(cfg.pathRules(), maxPathSegments, maxPathBytes); err != nil {
		errs = append(errs, fmt.Errorf("path_rules: %w", err))
	}
	return errors.Join(errs...)
}

// maxProperties bounds the event name and property pairs broken down: each
// has series of its own, up to top_k per site.
const maxProperties = 32

func (cfg *Config) validateProperties() []error {
	var errs []error
	n := 0
	for _, name := range slices.Sorted(maps.Keys(cfg.Properties)) {
		if name == "" {
			errs = append(errs, errors.New("properties: an event name must not be empty"))
		}
		seen := map[string]bool{}
		for _, key := range cfg.Properties[name] {
			if key == "" || seen[key] {
				errs = append(errs, fmt.Errorf("properties::%s: property names must be non-empty and distinct, got %q", name, key))
			}
			seen[key] = true
			n++
		}
	}
	if n > maxProperties {
		errs = append(errs, fmt.Errorf("properties: at most %d event name and property pairs, got %d", maxProperties, n))
	}
	return errs
}

const (
	maxPathSegments = 8
	maxPathBytes    = 200
)

func (cfg *Config) pathRules() []pathnorm.Rule {
	rules := make([]pathnorm.Rule, len(cfg.PathRules))
	for i, r := range cfg.PathRules {
		rules[i] = pathnorm.Rule{Match: r.Match, Template: r.Template}
	}
	return rules
}
