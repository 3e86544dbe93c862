// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	custom := createDefaultConfig().(*Config)
	custom.Endpoints = []string{"https://es1.example:9200", "https://es2.example:9200"}
	custom.Authentication.APIKey = "secret-key"
	custom.EventsIndex = "logs-footfall.events-shop"
	custom.SessionsIndex = "logs-footfall.sessions-shop"
	custom.DeadLetterIndex = "logs-footfall.deadletter-shop"
	custom.Pipeline = "footfall-geo"
	custom.Templates = TemplatesConfig{Install: false, RetentionDays: 90}
	custom.Flush.Bytes = 1_000_000
	custom.Timeout = 30 * time.Second
	custom.Headers = configopaque.MapList{{Name: "X-Tenant", Value: "shop"}}
	custom.Retry = RetryConfig{Enabled: true, InitialInterval: time.Second, MaxInterval: 30 * time.Second}
	defaults := createDefaultConfig().(*Config)
	defaults.Endpoints = []string{"http://localhost:9200"}
	contrib := createDefaultConfig().(*Config)
	contrib.Endpoint = "https://es.example:9200"
	contrib.Authentication.User = "elastic"
	contrib.Authentication.Password = "changeme"
	contrib.TLS.CAFile = "/etc/es/ca.pem"
	contrib.Compression = configcompression.TypeGzip
	contrib.Pipeline = "geoip"
	contrib.Flush.Bytes = 2_000_000
	contrib.Retry.InitialInterval = 200 * time.Millisecond
	contrib.Retry.MaxInterval = 10 * time.Second

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: defaults},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: custom},
		{id: component.NewIDWithName(metadata.Type, "contrib"), want: contrib},
		{id: component.NewIDWithName(metadata.Type, "no_endpoint"), wantErr: "exactly one of endpoint, endpoints or cloudid is required"},
		{id: component.NewIDWithName(metadata.Type, "endpoint_and_endpoints"), wantErr: "exactly one of endpoint, endpoints or cloudid is required"},
		{id: component.NewIDWithName(metadata.Type, "two_auths"), wantErr: "use one of api_key, user and password, or auth"},
		{id: component.NewIDWithName(metadata.Type, "key_over_plain_http"), wantErr: `endpoint "http://es.internal:9200" is plain http on another machine`},
		{id: component.NewIDWithName(metadata.Type, "extension_over_plain_http"), wantErr: `endpoint "http://es.internal:9200" is plain http on another machine`},
		{id: component.NewIDWithName(metadata.Type, "bad_index"), wantErr: `events_index "Logs*Bad" is not a valid data stream name`},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			err = sub.Unmarshal(cfg)
			if err == nil {
				err = confmap.Validate(cfg)
			}
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

// Credentials over plain http are allowed to this machine, and elsewhere
// only when the config says a proxy adds TLS.
func TestCredentialsOverPlainHTTPWhereAllowed(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for _, name := range []string{"key_over_plain_http_behind_a_proxy", "key_over_loopback_http"} {
		cfg := createDefaultConfig()
		sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg))
		assert.NoError(t, confmap.Validate(cfg), name)
	}
}

// A contrib option this exporter does not have, and a key of its former
// shape, are refused by name with what to use instead.
func TestUnsupportedOptionsAreRefusedByName(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for name, wants := range map[string][]string{
		"contrib_only_options": {"logs_index is not supported: events and session summaries go to events_index", "num_workers is not supported", "mapping is not supported", "retry::max_retries is not supported: use retry::max_elapsed_time"},
		"former_auth":          {"auth::api_key is not supported: api_key is at the top level", "retry_on_failure is not supported: the retry settings are under retry"},
	} {
		sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
		require.NoError(t, err)
		err = sub.Unmarshal(createDefaultConfig())
		for _, want := range wants {
			assert.ErrorContains(t, err, want, name)
		}
	}
}
