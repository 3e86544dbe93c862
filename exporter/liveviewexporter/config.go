// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"

	"github.com/footfall-analytics/footfall/internal/netaddr"
)

// Config of the live dashboard.
type Config struct {
	// ServerConfig is where the dashboard is served (default localhost:4320),
	// with TLS, auth and CORS as for any collector HTTP server. Its
	// write_timeout (default 30s) applies to each event of a stream: a
	// client that cannot take an event in time is dropped.
	confighttp.ServerConfig `mapstructure:",squash"`
	// MaxClients is the number of event streams served at once; more get 503.
	MaxClients int `mapstructure:"max_clients"`
	// MaxSites is the number of sites shown; data of further sites is
	// dropped and counted.
	MaxSites int `mapstructure:"max_sites"`
	// TopN is the length of the top lists (pages, sources, countries, ...).
	TopN int `mapstructure:"top_n"`
	// TimeZone is where "today" starts at midnight (IANA name).
	TimeZone string `mapstructure:"time_zone"`
	// Storage is the ID of a storage extension (file_storage) that keeps
	// the minute history of counters and top lists, saved every minute and
	// at shutdown, so that a restart keeps the windows and the chart.
	// Default none: a restart starts the dashboard empty.
	Storage *component.ID `mapstructure:"storage"`
	// AllowedHosts are the host names (of the Host header, without port)
	// the dashboard answers; others get 421, so that a web page cannot
	// read it through DNS rebinding. Default localhost, 127.0.0.1 and ::1:
	// add the name the dashboard is reached by.
	AllowedHosts []string `mapstructure:"allowed_hosts"`
	// BasicAuth, when set, asks for a user name and password. Default none.
	BasicAuth *BasicAuthConfig `mapstructure:"basic_auth"`
}

// Validate checks the bounds and the time zone.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxClients < 1 {
		errs = append(errs, errors.New("max_clients must be at least 1"))
	}
	if c.WriteTimeout <= 0 {
		errs = append(errs, errors.New("write_timeout must be positive: it bounds how long a slow stream client is kept"))
	}
	if c.MaxSites < 1 {
		errs = append(errs, errors.New("max_sites must be at least 1"))
	}
	if c.TopN < 1 || c.TopN > 100 {
		errs = append(errs, errors.New("top_n must be between 1 and 100"))
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %w", err))
	}
	if len(c.AllowedHosts) == 0 {
		errs = append(errs, errors.New("allowed_hosts must name at least one host"))
	}
	if c.BasicAuth != nil && (c.BasicAuth.Username == "" || len(c.BasicAuth.Password) < 12) {
		errs = append(errs, errors.New("basic_auth needs a username and a password of at least 12 characters (the shipped configs read the password from FOOTFALL_LIVEVIEW_PASSWORD)"))
	}
	if c.BasicAuth != nil && !c.TLS.HasValue() && !netaddr.IsLoopback(c.NetAddr.Endpoint) && !c.BasicAuth.AllowPlainHTTP {
		errs = append(errs, fmt.Errorf("basic_auth on %s (not loopback) sends the password in the clear: set tls, or basic_auth::allow_plain_http: true behind a proxy that terminates TLS", c.NetAddr.Endpoint))
	}
	return errors.Join(errs...)
}
