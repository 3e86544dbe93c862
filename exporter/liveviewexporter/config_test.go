// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	custom := createDefaultConfig().(*Config)
	custom.NetAddr.Endpoint = "0.0.0.0:9320"
	custom.MaxClients = 4
	custom.WriteTimeout = 3 * time.Second
	custom.MaxSites = 5
	custom.TopN = 20
	custom.TimeZone = "Europe/Berlin"
	storageID := component.MustNewID("file_storage")
	custom.Storage = &storageID
	custom.AllowedHosts = []string{"stats.example.com"}
	custom.BasicAuth = &BasicAuthConfig{Username: "team", Password: "correct horse battery", AllowPlainHTTP: true}

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr []string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: custom},
		{id: component.NewIDWithName(metadata.Type, "invalid"), wantErr: []string{
			"max_clients must be at least 1", "write_timeout must be positive", "max_sites must be at least 1",
			"top_n must be between 1 and 100", "time_zone: unknown time zone Mars/Olympus_Mons",
			"allowed_hosts must name at least one host", "basic_auth needs a username and a password of at least 12 characters",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != nil {
				for _, want := range tt.wantErr {
					assert.ErrorContains(t, err, want)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestDefaultEndpoint(t *testing.T) {
	assert.Equal(t, "localhost:4320", createDefaultConfig().(*Config).NetAddr.Endpoint)
}
