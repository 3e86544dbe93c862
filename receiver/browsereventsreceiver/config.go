// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/writable"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/clientip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
)

// VisitorIDMode chooses how a site's visitor ids are made.
type VisitorIDMode string

const (
	// VisitorIDHashed is the cookieless default: a keyed hash of the day's
	// salt, the site, the client address and the user agent.
	VisitorIDHashed VisitorIDMode = "hashed"
	// VisitorIDClient uses the anonymous id the page sends in
	// footfall.anonymous_id, falling back to the hash when it sends none.
	VisitorIDClient VisitorIDMode = "client"
)

// BotPolicy says what happens to events from crawlers and automated browsers.
type BotPolicy string

const (
	// BotsDrop answers the request with success and forwards nothing.
	BotsDrop BotPolicy = "drop"
	// BotsFlag forwards the events with user_agent.synthetic.type = "bot".
	BotsFlag BotPolicy = "flag"
)

// minAllowedUserAgent keeps an allow-list entry from matching every User-Agent.
const minAllowedUserAgent = 3

// Config defines configuration for the browser events receiver.
type Config struct {
	// ServerConfig is the HTTP server: endpoint (default localhost:4319), TLS,
	// CORS, auth, and max_request_body_size (default 1 MiB; larger bodies get 413).
	confighttp.ServerConfig `mapstructure:",squash"`

	// Sites lists the web sites that may send events. At least one is required.
	Sites []SiteConfig `mapstructure:"sites"`

	// TrustedProxies are the addresses or CIDR ranges of reverse proxies and load
	// balancers whose forwarding header is believed. From any other peer it is
	// ignored and the peer address is the client.
	TrustedProxies []string `mapstructure:"trusted_proxies"`

	// ForwardedHeader is the one header the trusted proxies set:
	// "x-forwarded-for" (default) or "forwarded". The other is never read,
	// so a client cannot pick its own address with the header the proxy
	// does not overwrite.
	ForwardedHeader clientip.Header `mapstructure:"forwarded_header"`

	// Privacy says what the receiver keeps of a visitor.
	Privacy PrivacyConfig `mapstructure:"privacy"`

	// Visitor configures the cookieless visitor id.
	Visitor VisitorConfig `mapstructure:"visitor"`

	// RateLimit bounds the events each client address may send.
	RateLimit RateLimitConfig `mapstructure:"rate_limit"`

	// Bots is "drop" (default) or "flag": what happens to events judged a
	// bot's (docs/bots.md). Flagged events carry user_agent.synthetic.type
	// and footfall.bot.reason and are left out of every metric.
	Bots BotPolicy `mapstructure:"bots"`

	// AllowedUserAgents are parts of User-Agents (case-insensitive, at least
	// 3 characters) never taken for a bot's by the User-Agent list: the
	// place for a false positive. Default none.
	AllowedUserAgents []string `mapstructure:"allowed_user_agents"`

	// DatacenterRangesFile is a file of IP ranges (CIDR or address, one per
	// line, # comments) whose clients' events are a bot's, reason
	// datacenter. None is shipped. Default empty: no such rule.
	DatacenterRangesFile string `mapstructure:"datacenter_ranges_file"`

	// BlockReferrerSpam judges page views whose referrer is on the pinned
	// referrer-spam list a bot's, reason referrer_spam. Default true.
	BlockReferrerSpam bool `mapstructure:"block_referrer_spam"`

	// GeoIP adds country, region and city from a MaxMind-format database.
	GeoIP GeoIPConfig `mapstructure:"geoip"`

	// Limits bound the size of requests and events.
	Limits LimitsConfig `mapstructure:"limits"`

	// UserAgentCacheSize is how many parsed user agents are kept. Default 10000.
	UserAgentCacheSize int `mapstructure:"user_agent_cache_size"`

	// Faro takes the Grafana Faro Web SDK's payload (docs/ingest.md).
	// Default: enabled, at /collect.
	Faro IngestPathConfig `mapstructure:"faro"`

	// Plausible takes the Plausible Events API (docs/ingest.md). Default:
	// enabled, at /api/event.
	Plausible IngestPathConfig `mapstructure:"plausible"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// IngestPathConfig turns on a third-party payload format at a path. Its
// events go through every check of /v1/logs.
type IngestPathConfig struct {
	Enabled bool   `mapstructure:"enabled"`
	Path    string `mapstructure:"path"`
}

// SiteConfig is one web site.
type SiteConfig struct {
	// ID names the site; events carry it in the footfall.site.id resource
	// attribute (or the "site" query parameter of the request URL).
	ID string `mapstructure:"id"`
	// Origins the site's pages are served from: "https://www.example.com"
	// (that scheme and host), "example.com" (any scheme) or "*.example.com"
	// (the domain and every subdomain). Hosts are ASCII, as browsers send
	// them: an international name in its xn-- form. "example.com" means
	// http or https: an Origin of any other scheme is no page's.
	Origins []string `mapstructure:"origins"`
	// VisitorID is "hashed" (default) or "client".
	VisitorID VisitorIDMode `mapstructure:"visitor_id"`
	// AllowMissingOrigin accepts requests with neither Origin nor Referer
	// header (server-side senders). Browsers always send Origin on a POST.
	AllowMissingOrigin bool `mapstructure:"allow_missing_origin"`
	// Names are other names third-party SDKs give the site: the domain of
	// the Plausible tracker (data-domain), the app name of Faro. Without
	// them a name is matched against the ids, then against the origins.
	Names []string `mapstructure:"names"`
}

// VisitorConfig says where the daily salt of the visitor hash lives.
type VisitorConfig struct {
	// Storage is a storage extension (e.g. file_storage) keeping the salt
	// through restarts.
	Storage *component.ID `mapstructure:"storage"`
	// SaltFile keeps the salt in a file instead (created with mode 0600).
	SaltFile string `mapstructure:"salt_file"`
	// SaltSecret derives each day's salt from a shared secret instead of a
	// random one, so that several gateways behind a load balancer give one
	// visitor the same id. At least 32 bytes. Anyone holding the secret can
	// recompute past salts: keep it as secret as a signing key. It also keys
	// the hash of client-chosen anonymous ids.
	SaltSecret configopaque.String `mapstructure:"salt_secret"`
	// RequireSaltSecret refuses to start without salt_secret: set it on
	// gateways behind a load balancer, where a random salt per gateway
	// would give one visitor several ids.
	RequireSaltSecret bool `mapstructure:"require_salt_secret"`
}

// PrivacyConfig says what the receiver keeps of a visitor.
type PrivacyConfig struct {
	// QueryParameters are the query parameters kept in stored URLs
	// (url.full, footfall.referrer, footfall.link.url); every other one is
	// removed, and so is the fragment, since query strings carry tokens and
	// e-mail addresses. A trailing "*" matches a prefix. Default: utm_* and
	// the ad click ids the receiver reads (gclid, fbclid, ...).
	QueryParameters []string `mapstructure:"query_parameters"`
	// StoreUserAgent keeps the User-Agent header (at most 512 bytes) in
	// user_agent.original. Default false: the parsed browser, OS and device
	// are kept, and the full string, which with the visitor id narrows a
	// visitor down, is not.
	StoreUserAgent bool `mapstructure:"store_user_agent"`
	// HonorOptOutHeaders drops the events of requests with Sec-GPC: 1 or
	// DNT: 1, answering success, as footfall.js does in the browser.
	// Default true.
	HonorOptOutHeaders bool `mapstructure:"honor_opt_out_headers"`
}

// RateLimitConfig is a token bucket per client address.
type RateLimitConfig struct {
	// Enabled turns the limiter on. Default true.
	Enabled bool `mapstructure:"enabled"`
	// EventsPerSecond is the sustained rate per client address. Default 300.
	EventsPerSecond float64 `mapstructure:"events_per_second"`
	// Burst is the bucket size. Default 600; at least limits.max_events_per_request.
	Burst int `mapstructure:"burst"`
	// MaxClients bounds the table of buckets; the least recently seen client
	// is dropped first. Default 100000.
	MaxClients int `mapstructure:"max_clients"`
	// BytesPerToken charges a request a token for every so many bytes of
	// decompressed body, on top of its events, refused requests included:
	// decoding costs by the byte. Default 4096.
	BytesPerToken int `mapstructure:"bytes_per_token"`
}

// GeoIPConfig points at a MaxMind-format database.
type GeoIPConfig struct {
	// Database is the path of a .mmdb file (GeoLite2-City, GeoIP2-City,
	// DB-IP City Lite, ...). Empty disables geo lookups.
	Database string `mapstructure:"database"`
}

// LimitsConfig bounds what one request and one event may carry.
type LimitsConfig struct {
	// MaxEventsPerRequest refuses larger requests with 413. Default 100.
	MaxEventsPerRequest int `mapstructure:"max_events_per_request"`
	// MaxAttributesPerEvent counts attributes, nested values included. Default 64.
	MaxAttributesPerEvent int `mapstructure:"max_attributes_per_event"`
	// MaxAttributeValueBytes bounds one string or bytes value. Default 2048.
	MaxAttributeValueBytes int `mapstructure:"max_attribute_value_bytes"`
	// MaxResourceBytes bounds the keys and values of one resource's
	// attributes together, and of one scope's (name and version included).
	// Both are copied to every (site, visitor) group of a request, so they
	// decide how much a request can grow downstream. Default 4096.
	MaxResourceBytes int `mapstructure:"max_resource_bytes"`
	// MaxAttributeKeyBytes bounds every attribute key: of an event, a
	// resource, a scope, and keys nested in map values. Default 128.
	MaxAttributeKeyBytes int `mapstructure:"max_attribute_key_bytes"`
	// MaxEventBytes bounds one event once decoded: its attribute keys and
	// values (nested ones included) and body. It bounds what each event
	// writes to the write-ahead log, Kafka, Elasticsearch and the archive.
	// Default 16384.
	MaxEventBytes int `mapstructure:"max_event_bytes"`
}

var _ component.Config = (*Config)(nil)

// Validate checks the rules that span fields.
func (cfg *Config) Validate() error {
	var errs []error
	if len(cfg.Sites) == 0 {
		errs = append(errs, errors.New("sites: at least one site is required"))
	}
	seen := map[string]bool{}
	for i, s := range cfg.Sites {
		if err := schema.CheckSiteID(s.ID); err != nil {
			errs = append(errs, fmt.Errorf("sites[%d]: %w", i, err))
		} else if seen[s.ID] {
			errs = append(errs, fmt.Errorf("sites[%d]: id %q is used twice", i, s.ID))
		}
		seen[s.ID] = true
		if len(s.Origins) == 0 && !s.AllowMissingOrigin {
			errs = append(errs, fmt.Errorf("sites[%d] (%s): origins is empty, so no browser could send events", i, s.ID))
		}
		for _, o := range s.Origins {
			if _, err := sites.ParsePattern(o); err != nil {
				errs = append(errs, fmt.Errorf("sites[%d] (%s): %w", i, s.ID, err))
			}
		}
		switch s.VisitorID {
		case "", VisitorIDHashed, VisitorIDClient:
		default:
			errs = append(errs, fmt.Errorf("sites[%d] (%s): visitor_id must be %q or %q, not %q", i, s.ID, VisitorIDHashed, VisitorIDClient, s.VisitorID))
		}
	}
	if _, err := clientip.ParsePrefixes(cfg.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("trusted_proxies: %w", err))
	}
	if err := cfg.ForwardedHeader.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("forwarded_header: %w", err))
	}
	if cfg.Visitor.RequireSaltSecret && cfg.Visitor.SaltSecret == "" {
		errs = append(errs, errors.New("visitor: require_salt_secret is set but salt_secret is empty (is FOOTFALL_SALT_SECRET set?)"))
	}
	if cfg.Visitor.Storage != nil && cfg.Visitor.SaltFile != "" {
		errs = append(errs, errors.New("visitor: set storage or salt_file, not both"))
	}
	if cfg.Visitor.SaltSecret != "" && (cfg.Visitor.Storage != nil || cfg.Visitor.SaltFile != "") {
		errs = append(errs, errors.New("visitor: salt_secret derives the salt, so storage and salt_file must not be set with it"))
	}
	if n := len(cfg.Visitor.SaltSecret); n > 0 && n < 32 {
		errs = append(errs, fmt.Errorf("visitor: salt_secret must be at least 32 bytes, got %d", n))
	}
	if cfg.RateLimit.Enabled {
		if cfg.RateLimit.EventsPerSecond <= 0 {
			errs = append(errs, errors.New("rate_limit: events_per_second must be positive"))
		}
		if cfg.RateLimit.MaxClients <= 0 {
			errs = append(errs, errors.New("rate_limit: max_clients must be positive"))
		}
		if cfg.RateLimit.BytesPerToken <= 0 {
			errs = append(errs, errors.New("rate_limit: bytes_per_token must be positive"))
		}
		if cfg.RateLimit.Burst < cfg.Limits.MaxEventsPerRequest {
			errs = append(errs, fmt.Errorf("rate_limit: burst (%d) must be at least limits.max_events_per_request (%d), or a full request could never pass", cfg.RateLimit.Burst, cfg.Limits.MaxEventsPerRequest))
		}
	}
	switch cfg.Bots {
	case BotsDrop, BotsFlag:
	default:
		errs = append(errs, fmt.Errorf("bots must be %q or %q, not %q", BotsDrop, BotsFlag, cfg.Bots))
	}
	for _, a := range cfg.AllowedUserAgents {
		if len(strings.TrimSpace(a)) < minAllowedUserAgent {
			errs = append(errs, fmt.Errorf("allowed_user_agents: %q is shorter than %d characters and would allow most bots", a, minAllowedUserAgent))
		}
	}
	if l := cfg.Limits; l.MaxEventsPerRequest <= 0 || l.MaxAttributesPerEvent <= 0 || l.MaxAttributeValueBytes <= 0 ||
		l.MaxResourceBytes <= 0 || l.MaxAttributeKeyBytes <= 0 || l.MaxEventBytes <= 0 {
		errs = append(errs, errors.New("limits: every limit must be positive"))
	}
	if cfg.UserAgentCacheSize <= 0 {
		errs = append(errs, errors.New("user_agent_cache_size must be positive"))
	}
	errs = append(errs, cfg.validatePaths()...)
	errs = append(errs, cfg.validateFiles()...)
	if cfg.MaxRequestBodySize <= 0 {
		errs = append(errs, errors.New("max_request_body_size must be positive"))
	}
	return errors.Join(errs...)
}

// validateFiles checks what the receiver opens at start, so that footfall
// validate reports it rather than the start: the country database, and the
// directory of the salt file.
func (cfg *Config) validateFiles() []error {
	var errs []error
	if cfg.GeoIP.Database != "" {
		db, err := geoip.Open(cfg.GeoIP.Database)
		if err != nil {
			errs = append(errs, fmt.Errorf("geoip: %w (the shipped configs read its path from FOOTFALL_GEOIP_DATABASE)", err))
		}
		_ = db.Close()
	}
	if cfg.Visitor.SaltFile != "" {
		if err := writable.Dir(filepath.Dir(cfg.Visitor.SaltFile)); err != nil {
			errs = append(errs, fmt.Errorf("visitor: salt_file: %w (the shipped configs keep it in FOOTFALL_DATA_DIR)", err))
		}
	}
	return errs
}

// validatePaths checks that the enabled formats have distinct paths that
// the receiver does not serve already.
func (cfg *Config) validatePaths() []error {
	var errs []error
	used := map[string]string{logsPath: "/v1/logs", trackerPath: "the tracker"}
	for _, f := range []struct {
		name string
		cfg  IngestPathConfig
	}{{"faro", cfg.Faro}, {"plausible", cfg.Plausible}} {
		if !f.cfg.Enabled {
			continue
		}
		switch {
		case !strings.HasPrefix(f.cfg.Path, "/") || strings.ContainsAny(f.cfg.Path, " ?#{}"):
			errs = append(errs, fmt.Errorf("%s: path must be an absolute URL path, not %q", f.name, f.cfg.Path))
		case used[f.cfg.Path] != "":
			errs = append(errs, fmt.Errorf("%s: path %q is already served for %s", f.name, f.cfg.Path, used[f.cfg.Path]))
		}
		used[f.cfg.Path] = f.name
	}
	return errs
}
