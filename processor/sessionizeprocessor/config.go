// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/writable"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// Config defines configuration for the sessionize processor. docs/sessions.md
// defines every boundary and summary field.
type Config struct {
	// InactivityTimeout ends a session whose visitor sent nothing for longer,
	// in event time. Default 30m.
	InactivityTimeout time.Duration `mapstructure:"inactivity_timeout"`
	// MaxDuration ends a session this long after its first event. Default 24h;
	// 0 means no limit.
	MaxDuration time.Duration `mapstructure:"max_duration"`
	// SplitAtMidnight ends sessions at midnight in the site's time zone. Default true.
	SplitAtMidnight bool `mapstructure:"split_at_midnight"`
	// SplitOnCampaignChange ends a session when a page view arrives from a new
	// campaign (new UTM source/medium/campaign or a new external referrer). Default true.
	SplitOnCampaignChange bool `mapstructure:"split_on_campaign_change"`
	// TimeZone is the IANA time zone of midnight for sites without their own. Default UTC.
	TimeZone string `mapstructure:"time_zone"`
	// Sites holds per-site settings, keyed by footfall.site.id.
	Sites map[string]SiteConfig `mapstructure:"sites"`

	// AllowedLateness is how long, on the collector's receive clock, events
	// are held so that out-of-order arrivals are placed in order. Events
	// later than this are still counted, flagged late. Default 500ms: one tab's
	// events arrive in order, and page views, events, goals and unique
	// visitors do not depend on order at all; only a session boundary can.
	AllowedLateness time.Duration `mapstructure:"allowed_lateness"`
	// MaxClockSkew is how far a client timestamp may be from the receive time
	// before the receive time is used instead. Default 5m.
	MaxClockSkew time.Duration `mapstructure:"max_clock_skew"`
	// WatermarkIdleTimeout: when no newer event has arrived for this long (wall
	// clock), receive time is assumed to move with the wall clock, so that a
	// quiet site's events are placed and sessions end when traffic stops. 0
	// disables it: the watermark then moves only with events. Default 500ms.
	WatermarkIdleTimeout time.Duration `mapstructure:"watermark_idle_timeout"`

	// DedupWindow is how long, in event time, an event id is remembered. Default 10m.
	DedupWindow time.Duration `mapstructure:"dedup_window"`
	// DedupMaxEntries bounds the remembered ids; past it the oldest are forgotten
	// early and counted. Default 1000000.
	DedupMaxEntries int `mapstructure:"dedup_max_entries"`

	// ReturningVisitorWindow is how long, in event time, a visitor is
	// remembered so that their next session is marked returning. Default 24h,
	// the lifetime of the receiver's daily visitor ids.
	ReturningVisitorWindow time.Duration `mapstructure:"returning_visitor_window"`
	// MaxRememberedVisitors bounds that memory; past it the oldest are
	// forgotten early and counted. Default 1000000.
	MaxRememberedVisitors int `mapstructure:"max_remembered_visitors"`

	// MaxSessions bounds open sessions; when full, the session idle longest
	// ends with reason evicted. Default 1000000.
	MaxSessions int `mapstructure:"max_sessions"`
	// MaxPendingEvents bounds the reorder buffer; a batch that does not fit is
	// refused with a retryable error. Default 200000.
	MaxPendingEvents int `mapstructure:"max_pending_events"`
	// MaxUndeliveredRecords bounds records placed but not yet accepted by the
	// next consumer; past it new batches are refused with a retryable error. Default 200000.
	MaxUndeliveredRecords int `mapstructure:"max_undelivered_records"`

	// Goals are event names counted as goals (conversions) in session.end.
	Goals []string `mapstructure:"goals"`
	// NonEngagementEvents are event names, besides page views, that do not
	// count as engagement for the bounce definition (automatic events such as
	// page-hide summaries and web vitals).
	NonEngagementEvents []string `mapstructure:"non_engagement_events"`
	// Funnels are ordered journeys a session can make (docs/sessions.md):
	// the event that does a step carries footfall.session.funnel_steps, and
	// the webanalytics connector counts the sessions that reached each step.
	// At most 4 funnels of 2 to 8 steps. Default none.
	Funnels []FunnelConfig `mapstructure:"funnels"`

	// Storage is the ID of a storage extension (e.g. file_storage) holding the
	// write-ahead log and checkpoints. Without it, state lives in memory only:
	// events held for allowed_lateness are lost on a crash and open sessions
	// are lost on shutdown.
	Storage *component.ID `mapstructure:"storage"`
	// WALDirectory, when set, keeps the write-ahead log in segment files in
	// this directory: one write and one fsync per group of requests, where
	// the storage extension (file_storage) rewrites B+tree pages and syncs
	// twice. Checkpoints stay in the storage extension, which must be set.
	// Default empty: the write-ahead log is kept in the storage extension.
	WALDirectory string `mapstructure:"wal_directory"`
	// CheckpointInterval is how often session and dedup state is written to
	// storage (also on shutdown). Default 30s.
	CheckpointInterval time.Duration `mapstructure:"checkpoint_interval"`
	// DeliveryBackoff is how delivery to the next consumer waits between
	// tries after a retryable refusal (initial_interval, multiplier,
	// max_interval, randomization_factor). The records wait in the outbox
	// (max_undelivered_records) until delivered: delivery never gives up,
	// so enabled must stay true and max_elapsed_time 0. Default 100ms,
	// doubling up to 5s, randomized by half.
	DeliveryBackoff configretry.BackOffConfig `mapstructure:"delivery_backoff"`
	// Disk keeps room on the disk of the write-ahead log for checkpoints.
	Disk DiskConfig `mapstructure:"disk"`
	// Bots judges sessions a bot's by what they do (docs/bots.md).
	Bots BotsConfig `mapstructure:"bots"`
	// FlushOnShutdown ends every open session with reason shutdown when the
	// collector stops, instead of checkpointing it. Default false.
	FlushOnShutdown bool `mapstructure:"flush_on_shutdown"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// DiskConfig keeps room for checkpoints on the disk of the write-ahead
// log: batches that would leave less than the reserve free are refused with
// a retryable error (503 with Retry-After at the intake), so that the
// checkpoint that truncates the log can always be written, as Kafka and
// Elasticsearch stop writes before a disk is full.
type DiskConfig struct {
	// Directory is where the free space is measured. Default wal_directory;
	// set it to the storage extension's directory when the write-ahead log
	// is kept there (no wal_directory), or when they are on different
	// filesystems. Empty with no wal_directory: not watched.
	Directory string `mapstructure:"directory"`
	// MinFreeBytes is the reserve. Default 0: twice the size of the last
	// checkpoint written, at least 64 MiB.
	MinFreeBytes int64 `mapstructure:"min_free_bytes"`
}

// directory is the directory watched, or "" for none.
func (d DiskConfig) directory(walDirectory string) string {
	if d.Directory != "" {
		return d.Directory
	}
	return walDirectory
}

// BotAction says what happens to a bot's events.
type BotAction string

const (
	// BotsDrop forwards nothing of a session from its verdict on.
	BotsDrop BotAction = "drop"
	// BotsFlag forwards them with user_agent.synthetic.type = bot and
	// footfall.bot.reason; every metric leaves them out.
	BotsFlag BotAction = "flag"
)

// BotsConfig is what the sessionizer does with sessions that behave like bots.
type BotsConfig struct {
	// Action is "drop" (default) or "flag", as the receiver's bots.
	Action BotAction `mapstructure:"action"`
	// BotRulesConfig are the rules of every site without its own.
	BotRulesConfig `mapstructure:",squash"`
}

// BotRulesConfig are the behaviour rules; 0 (the default) disables one. A
// session is a bot's from the page view that breaks a rule on: that page
// view and every later event of the session are dropped or flagged; what
// came before stays counted (docs/bots.md). They judge a visitor id: turn
// them on for sites whose visitor ids are one browser each (visitor_id:
// client), not where a hashed id stands for everyone behind one address.
type BotRulesConfig struct {
	// MaxPageViewsPerMinute: more page views than this within a minute of
	// event time (60 suits most sites).
	MaxPageViewsPerMinute int `mapstructure:"max_page_views_per_minute"`
	// MaxPageViewsWithoutInteraction: more page views than this in a
	// session with no click, custom event or goal (100 suits most sites).
	MaxPageViewsWithoutInteraction int `mapstructure:"max_page_views_without_interaction"`
	// MaxReloads: more page views of one page in a row than this (20 suits
	// most sites; not a wall display's).
	MaxReloads int `mapstructure:"max_reloads"`
}

func (r BotRulesConfig) validate(prefix string) error {
	if r.MaxPageViewsPerMinute < 0 || r.MaxPageViewsWithoutInteraction < 0 || r.MaxReloads < 0 {
		return fmt.Errorf("%s: bot rules must not be negative", prefix)
	}
	return nil
}

func (r BotRulesConfig) rules() session.BotRules {
	return session.BotRules{
		MaxPageViewsPerMinute:          uint32(min(r.MaxPageViewsPerMinute, math.MaxUint32)),
		MaxPageViewsWithoutInteraction: uint32(min(r.MaxPageViewsWithoutInteraction, math.MaxUint32)),
		MaxReloads:                     uint32(min(r.MaxReloads, math.MaxUint32)),
	}
}

// SiteConfig holds one site's settings.
type SiteConfig struct {
	// TimeZone is the IANA time zone of the site's midnight, e.g. Europe/Berlin.
	TimeZone string `mapstructure:"time_zone"`
	// Bots, when set, replaces the bot rules for this site.
	Bots *BotRulesConfig `mapstructure:"bots"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if b := cfg.DeliveryBackoff; !b.Enabled || b.MaxElapsedTime != 0 {
		errs = append(errs, errors.New("delivery_backoff: enabled must be true and max_elapsed_time 0: delivery retries until the next consumer takes the records"))
	}
	type duration struct {
		name string
		d    time.Duration
	}
	for _, f := range []duration{{"inactivity_timeout", cfg.InactivityTimeout}, {"dedup_window", cfg.DedupWindow}, {"returning_visitor_window", cfg.ReturningVisitorWindow}} {
		if f.d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", f.name, f.d))
		}
	}
	for _, f := range []duration{
		{"max_duration", cfg.MaxDuration},
		{"allowed_lateness", cfg.AllowedLateness},
		{"max_clock_skew", cfg.MaxClockSkew},
		{"watermark_idle_timeout", cfg.WatermarkIdleTimeout},
	} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", f.name, f.d))
		}
	}
	if cfg.MaxDuration > 0 && cfg.MaxDuration < cfg.InactivityTimeout {
		errs = append(errs, fmt.Errorf("max_duration (%s) must not be shorter than inactivity_timeout (%s)", cfg.MaxDuration, cfg.InactivityTimeout))
	}
	if cfg.AllowedLateness >= cfg.InactivityTimeout {
		errs = append(errs, fmt.Errorf("allowed_lateness (%s) must be shorter than inactivity_timeout (%s)", cfg.AllowedLateness, cfg.InactivityTimeout))
	}
	type count struct {
		name string
		n    int
	}
	for _, f := range []count{
		{"dedup_max_entries", cfg.DedupMaxEntries},
		{"max_remembered_visitors", cfg.MaxRememberedVisitors},
		{"max_sessions", cfg.MaxSessions},
		{"max_pending_events", cfg.MaxPendingEvents},
		{"max_undelivered_records", cfg.MaxUndeliveredRecords},
	} {
		if f.n <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %d", f.name, f.n))
		}
	}
	for _, f := range []count{{"dedup_max_entries", cfg.DedupMaxEntries}, {"max_remembered_visitors", cfg.MaxRememberedVisitors}} {
		if f.n > dedup.MaxEntries {
			errs = append(errs, fmt.Errorf("%s must be at most %d, got %d", f.name, dedup.MaxEntries, f.n))
		}
	}
	if cfg.Disk.MinFreeBytes < 0 {
		errs = append(errs, fmt.Errorf("disk::min_free_bytes must not be negative, got %d", cfg.Disk.MinFreeBytes))
	}
	if cfg.WALDirectory != "" && cfg.Storage == nil {
		errs = append(errs, errors.New("wal_directory needs storage: checkpoints are kept in the storage extension"))
	}
	if cfg.Storage != nil && cfg.CheckpointInterval <= 0 {
		errs = append(errs, fmt.Errorf("checkpoint_interval must be positive when storage is set, got %s", cfg.CheckpointInterval))
	}
	if _, err := cfg.Zones(); err != nil {
		errs = append(errs, err)
	}
	if cfg.WALDirectory != "" {
		if err := writable.Dir(cfg.WALDirectory); err != nil {
			errs = append(errs, fmt.Errorf("wal_directory: %w (the shipped configs keep it in FOOTFALL_DATA_DIR)", err))
		}
	}
	switch cfg.Bots.Action {
	case BotsDrop, BotsFlag:
	default:
		errs = append(errs, fmt.Errorf("bots::action must be %q or %q, not %q", BotsDrop, BotsFlag, cfg.Bots.Action))
	}
	if err := cfg.Bots.validate("bots"); err != nil {
		errs = append(errs, err)
	}
	for site, sc := range cfg.Sites {
		if err := schema.CheckSiteID(site); err != nil {
			errs = append(errs, fmt.Errorf("sites: %w", err))
		}
		if sc.Bots != nil {
			if err := sc.Bots.validate("sites::" + site + "::bots"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, name := range cfg.Goals {
		if name == "" || name == schema.EventPageView {
			errs = append(errs, fmt.Errorf("goals: %q cannot be a goal", name))
		}
	}
	errs = append(errs, validateFunnels(cfg.Funnels)...)
	return errors.Join(errs...)
}
