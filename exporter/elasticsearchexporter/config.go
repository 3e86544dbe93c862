// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/internal/confkeys"
	"github.com/footfall-analytics/footfall/internal/netaddr"
)

// Config defines configuration for the Elasticsearch exporter. Its keys
// mean what the contrib exporter's mean: a contrib config that uses only
// options this exporter has loads and does the same, and one that uses
// another is refused naming it (Unmarshal). README.md lists the differences.
type Config struct {
	// Endpoints are Elasticsearch URLs (http or https). One of endpoint,
	// endpoints or cloudid.
	Endpoints []string `mapstructure:"endpoints"`
	// CloudID is an Elastic Cloud deployment id.
	CloudID string `mapstructure:"cloudid"`
	// ClientConfig is the HTTP client: endpoint (one URL), tls, headers,
	// auth (an authenticator extension, such as bearertokenauth), timeout,
	// compression, proxy_url. Default confighttp.NewDefaultClientConfig()
	// with a 90s timeout.
	confighttp.ClientConfig `mapstructure:",squash"`
	// Authentication is an API key, or user and password; an authenticator
	// extension goes under auth.
	Authentication AuthenticationConfig `mapstructure:",squash"`
	// AllowPlainHTTP sends credentials to an http:// endpoint on another
	// machine: only behind a proxy that adds TLS. Default false: such a
	// config is refused (loopback endpoints are always allowed).
	AllowPlainHTTP bool `mapstructure:"allow_plain_http"`

	// EventsIndex is the data stream for browser events. Default logs-footfall.events-default.
	EventsIndex string `mapstructure:"events_index"`
	// SessionsIndex is the data stream for session.end summaries. Default logs-footfall.sessions-default.
	SessionsIndex string `mapstructure:"sessions_index"`
	// DeadLetterIndex is the data stream for documents Elasticsearch refused
	// for good (mapping errors). Default logs-footfall.deadletter-default.
	DeadLetterIndex string `mapstructure:"dead_letter_index"`
	// Pipeline is an ingest pipeline every document goes through.
	Pipeline string `mapstructure:"pipeline"`

	// Templates installs index templates and an ILM policy on start.
	Templates TemplatesConfig `mapstructure:"templates"`

	// Flush bounds one bulk request: documents are sent in requests of at
	// most Flush.Bytes. Default 5 MB.
	Flush FlushConfig `mapstructure:"flush"`

	QueueBatchConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	// Retry is how documents answered 429 or 5xx (and requests that failed
	// or were answered so) are sent again, alone, with exponential backoff.
	Retry RetryConfig `mapstructure:"retry"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// AuthenticationConfig holds the credentials Elasticsearch takes itself.
type AuthenticationConfig struct {
	User     string              `mapstructure:"user"`
	Password configopaque.String `mapstructure:"password"`
	APIKey   configopaque.String `mapstructure:"api_key"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RetryConfig is contrib's retry section, on exporterhelper's retry.
type RetryConfig struct {
	// Enabled sends again what needs it. Default true.
	Enabled bool `mapstructure:"enabled"`
	// InitialInterval is the first wait. Default 100ms.
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	// MaxInterval is the longest wait. Default 1m.
	MaxInterval time.Duration `mapstructure:"max_interval"`
	// MaxElapsedTime gives up on a batch after this long; 0 never does.
	// Default 5m (not in contrib, which counts tries: max_retries).
	MaxElapsedTime time.Duration `mapstructure:"max_elapsed_time"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// backOff is the retry as exporterhelper takes it.
func (r RetryConfig) backOff() configretry.BackOffConfig {
	b := configretry.NewDefaultBackOffConfig()
	b.Enabled = r.Enabled
	b.InitialInterval = r.InitialInterval
	b.MaxInterval = r.MaxInterval
	b.MaxElapsedTime = r.MaxElapsedTime
	return b
}

// TemplatesConfig controls the index templates and ILM policy.
type TemplatesConfig struct {
	// Install puts the templates and the policy on start. Default true.
	Install bool `mapstructure:"install"`
	// RetentionDays deletes backing indices this many days after rollover. Default 30.
	RetentionDays int `mapstructure:"retention_days"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// FlushConfig bounds bulk requests.
type FlushConfig struct {
	Bytes int `mapstructure:"bytes"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

const notSupported = "is not supported"

// unsupported are contrib options (and former keys of this exporter) that
// this exporter does not have, and what to do instead.
var unsupported = []confkeys.Refused{
	{Key: "num_workers", Verdict: notSupported, Instead: "requests are sent by the sending queue's consumers (sending_queue::num_consumers)"},
	{Key: "logs_index", Verdict: notSupported, Instead: "events and session summaries go to events_index and sessions_index"},
	{Key: "logs_dynamic_index", Verdict: notSupported, Instead: "events and session summaries go to events_index and sessions_index"},
	{Key: "logs_dynamic_id", Verdict: notSupported, Instead: "every document's _id is <site>:<event or session id>"},
	{Key: "logs_dynamic_pipeline", Verdict: notSupported, Instead: "use pipeline"},
	{Key: "metrics_index", Verdict: notSupported, Instead: "this exporter takes logs only"},
	{Key: "traces_index", Verdict: notSupported, Instead: "this exporter takes logs only"},
	{Key: "logstash_format", Verdict: notSupported, Instead: "data streams roll over by the ILM policy (templates)"},
	{Key: "mapping", Verdict: notSupported, Instead: "one mapping (README.md), installed by templates"},
	{Key: "discover", Verdict: notSupported, Instead: "list the nodes in endpoints"},
	{Key: "batcher", Verdict: notSupported, Instead: "batching is the sending queue's (sending_queue::batch)"},
	{Key: "include_source_on_error", Verdict: notSupported, Instead: "refused documents go whole to dead_letter_index"},
	{Key: "flush::interval", Verdict: notSupported, Instead: "batching is the sending queue's (sending_queue::batch)"},
	{Key: "retry::max_requests", Verdict: notSupported, Instead: "use retry::max_elapsed_time"},
	{Key: "retry::max_retries", Verdict: notSupported, Instead: "use retry::max_elapsed_time"},
	{Key: "retry::retry_on_status", Verdict: notSupported, Instead: "429 and 5xx are always retried, other 4xx dead-lettered"},
	{Key: "retry_on_failure", Verdict: notSupported, Instead: "the retry settings are under retry, as in contrib"},
	{Key: "auth::api_key", Verdict: notSupported, Instead: "api_key is at the top level, as in contrib; auth names an authenticator extension"},
	{Key: "auth::user", Verdict: notSupported, Instead: "user and password are at the top level, as in contrib; auth names an authenticator extension"},
	{Key: "auth::password", Verdict: notSupported, Instead: "user and password are at the top level, as in contrib; auth names an authenticator extension"},
	{Key: "auth::bearer_token", Verdict: notSupported, Instead: "use the bearertokenauth extension: auth::authenticator: bearertokenauth"},
	{Key: "auth::allow_plain_http", Verdict: notSupported, Instead: "allow_plain_http is at the top level"},
}

// Unmarshal refuses the options this exporter does not have with what to
// use instead, then reads the rest.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	return confkeys.Unmarshal(conf, cfg, unsupported)
}

// endpoints are the URLs requests go to: endpoints, or endpoint alone.
func (cfg *Config) endpoints() []string {
	if cfg.Endpoint != "" {
		return []string{cfg.Endpoint}
	}
	return cfg.Endpoints
}

// hasCredentials reports whether requests carry credentials.
func (cfg *Config) hasCredentials() bool {
	a := cfg.Authentication
	return a.APIKey != "" || a.User != "" || cfg.Auth.HasValue()
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	set := 0
	for _, given := range []bool{cfg.Endpoint != "", len(cfg.Endpoints) > 0, cfg.CloudID != ""} {
		if given {
			set++
		}
	}
	if set != 1 {
		errs = append(errs, errors.New("exactly one of endpoint, endpoints or cloudid is required"))
	}
	for _, e := range cfg.endpoints() {
		u, err := url.Parse(e)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("endpoint %q must be an http or https URL", e))
		case cfg.hasCredentials() && u.Scheme == "http" && !netaddr.IsLoopback(u.Host) && !cfg.AllowPlainHTTP:
			errs = append(errs, fmt.Errorf("endpoint %q is plain http on another machine: the credentials would cross the network in the clear; use https, or set allow_plain_http: true when a proxy in front adds TLS", e))
		}
	}
	a := cfg.Authentication
	methods := 0
	for _, given := range []bool{a.APIKey != "", a.User != "", cfg.Auth.HasValue()} {
		if given {
			methods++
		}
	}
	if methods > 1 {
		errs = append(errs, errors.New("use one of api_key, user and password, or auth (an authenticator extension)"))
	}
	for name, index := range map[string]string{"events_index": cfg.EventsIndex, "sessions_index": cfg.SessionsIndex, "dead_letter_index": cfg.DeadLetterIndex} {
		if index == "" || strings.ContainsAny(index, ` "*\/,|<>?#`) || strings.ToLower(index) != index {
			errs = append(errs, fmt.Errorf("%s %q is not a valid data stream name", name, index))
		}
	}
	if cfg.Templates.RetentionDays < 1 {
		errs = append(errs, fmt.Errorf("templates::retention_days must be at least 1, got %d", cfg.Templates.RetentionDays))
	}
	if cfg.Flush.Bytes < 1024 {
		errs = append(errs, fmt.Errorf("flush::bytes must be at least 1024, got %d", cfg.Flush.Bytes))
	}
	if cfg.Retry.Enabled && (cfg.Retry.InitialInterval <= 0 || cfg.Retry.MaxInterval < cfg.Retry.InitialInterval || cfg.Retry.MaxElapsedTime < 0) {
		errs = append(errs, errors.New("retry: initial_interval must be positive, max_interval at least initial_interval, and max_elapsed_time not negative"))
	}
	return errors.Join(errs...)
}
