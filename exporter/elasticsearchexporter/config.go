// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/footfall-analytics/footfall/internal/netaddr"
)

// Config defines configuration for the Elasticsearch exporter. The surface
// follows the contrib exporter where it can; README.md lists the differences.
type Config struct {
	// Endpoints are Elasticsearch URLs (http or https). One of endpoints or cloudid.
	Endpoints []string `mapstructure:"endpoints"`
	// CloudID is an Elastic Cloud deployment id.
	CloudID string `mapstructure:"cloudid"`
	// Authentication: an API key, a bearer token, or user and password.
	Authentication AuthenticationConfig `mapstructure:"auth"`
	// TLS configures the connection to Elasticsearch.
	TLS configtls.ClientConfig `mapstructure:"tls"`

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

	exporterhelper.TimeoutConfig `mapstructure:",squash"`
	QueueBatchConfig             configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig                configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// AuthenticationConfig holds one way to authenticate.
type AuthenticationConfig struct {
	APIKey      configopaque.String `mapstructure:"api_key"`
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	User        string              `mapstructure:"user"`
	Password    configopaque.String `mapstructure:"password"`
	// AllowPlainHTTP sends the credentials to an http:// endpoint on
	// another machine: only behind a proxy that adds TLS. Default false:
	// such a config is refused (loopback endpoints are always allowed).
	AllowPlainHTTP bool `mapstructure:"allow_plain_http"`

	// prevent unkeyed literal initialization
	_ struct{}
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

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case len(cfg.Endpoints) == 0 && cfg.CloudID == "":
		errs = append(errs, errors.New("one of endpoints or cloudid is required"))
	case len(cfg.Endpoints) > 0 && cfg.CloudID != "":
		errs = append(errs, errors.New("endpoints and cloudid are exclusive"))
	}
	a := cfg.Authentication
	credentials := a.APIKey != "" || a.BearerToken != "" || a.User != ""
	for _, e := range cfg.Endpoints {
		u, err := url.Parse(e)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, fmt.Errorf("endpoint %q must be an http or https URL", e))
		case credentials && u.Scheme == "http" && !netaddr.IsLoopback(u.Host) && !a.AllowPlainHTTP:
			errs = append(errs, fmt.Errorf("endpoint %q is plain http on another machine: the credentials would cross the network in the clear; use https, or set auth::allow_plain_http: true when a proxy in front adds TLS", e))
		}
	}
	methods := 0
	for _, set := range []bool{a.APIKey != "", a.BearerToken != "", a.User != ""} {
		if set {
			methods++
		}
	}
	if methods > 1 {
		errs = append(errs, errors.New("auth: use one of api_key, bearer_token, or user and password"))
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
	return errors.Join(errs...)
}
