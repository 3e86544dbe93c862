// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/clientip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestLoadConfig(t *testing.T) {
	t.Run("default with one site", func(t *testing.T) {
		cfg := loadConfig(t, "")
		require.NoError(t, confmap.Validate(cfg))
		want := createDefaultConfig().(*Config)
		want.Sites = []SiteConfig{{ID: "example", Origins: []string{"https://www.example.com"}}}
		assert.Equal(t, want, cfg)
		assert.Equal(t, "localhost:4319", cfg.NetAddr.Endpoint)
		assert.Equal(t, int64(1<<20), cfg.MaxRequestBodySize)
	})

	t.Run("full", func(t *testing.T) {
		cfg := loadConfig(t, "full")
		assert.Equal(t, "0.0.0.0:8443", cfg.NetAddr.Endpoint)
		assert.Equal(t, int64(65536), cfg.MaxRequestBodySize)
		assert.Equal(t, []SiteConfig{
			{ID: "shop", Origins: []string{"https://shop.example.com", "*.example.org"}, VisitorID: VisitorIDClient},
			{ID: "backend", AllowMissingOrigin: true},
		}, cfg.Sites)
		assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.1"}, cfg.TrustedProxies)
		assert.Equal(t, "/var/lib/footfall/salt.json", cfg.Visitor.SaltFile)
		assert.Equal(t, RateLimitConfig{Enabled: true, EventsPerSecond: 50, Burst: 200, MaxClients: 1000, BytesPerToken: 4096}, cfg.RateLimit)
		assert.Equal(t, BotsFlag, cfg.Bots)
		assert.Equal(t, "/usr/share/GeoIP/GeoLite2-City.mmdb", cfg.GeoIP.Database)
		assert.Equal(t, LimitsConfig{MaxEventsPerRequest: 20, MaxAttributesPerEvent: 32, MaxAttributeValueBytes: 512, MaxResourceBytes: 2048, MaxAttributeKeyBytes: 64, MaxEventBytes: 8192}, cfg.Limits)
		assert.Equal(t, clientip.HeaderForwarded, cfg.ForwardedHeader)
		assert.Equal(t, PrivacyConfig{QueryParameters: []string{"utm_*", "ref"}, StoreUserAgent: true}, cfg.Privacy)
		assert.Equal(t, 500, cfg.UserAgentCacheSize)

		// The files it names are another host's: here, ones that exist.
		cfg.GeoIP.Database = filepath.Join(t.TempDir(), "city.mmdb")
		require.NoError(t, geoip.WriteTestDatabase(cfg.GeoIP.Database, nil))
		cfg.Visitor.SaltFile = filepath.Join(t.TempDir(), "salt.json")
		require.NoError(t, confmap.Validate(cfg))
	})

	t.Run("storage", func(t *testing.T) {
		cfg := loadConfig(t, "storage")
		require.NoError(t, confmap.Validate(cfg))
		require.NotNil(t, cfg.Visitor.Storage)
		assert.Equal(t, component.MustNewIDWithName("file_storage", "salt"), *cfg.Visitor.Storage)
	})

	t.Run("rate limit off needs no burst", func(t *testing.T) {
		cfg := loadConfig(t, "no_rate_limit")
		require.NoError(t, confmap.Validate(cfg))
		assert.False(t, cfg.RateLimit.Enabled)
	})
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		errs []string
	}{
		{name: "invalid_no_sites", errs: []string{"sites: at least one site is required"}},
		{name: "invalid_site", errs: []string{
			"sites[0]: a site id must be 1 to 64 bytes",
			`sites[4]: site id "../shop" must start with a lower-case letter or a digit`,
			`sites[5]: site id "a..b" must not contain ".."`,
			`origin "ftp://example.com": scheme must be http or https`,
			`visitor_id must be "hashed" or "client", not "cookie"`,
			`sites[2]: id "twice" is used twice`,
			"sites[3] (silent): origins is empty, so no browser could send events",
		}},
		{name: "invalid_proxies", errs: []string{`trusted_proxies: trusted proxy "10.0.0.0/40"`}},
		{name: "invalid_header", errs: []string{`forwarded_header: must be "x-forwarded-for" or "forwarded", not "x-real-ip"`}},
		{name: "invalid_missing_secret", errs: []string{"visitor: require_salt_secret is set but salt_secret is empty"}},
		{name: "invalid_salt", errs: []string{
			"salt_secret derives the salt, so storage and salt_file must not be set with it",
			"salt_secret must be at least 32 bytes, got 9",
		}},
		{name: "invalid_limits", errs: []string{
			`bots must be "drop" or "flag", not "block"`,
			"rate_limit: events_per_second must be positive",
			"rate_limit: burst (10) must be at least limits.max_events_per_request (50)",
			"user_agent_cache_size must be positive",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := confmap.Validate(loadConfig(t, tt.name))
			require.Error(t, err)
			for _, want := range tt.errs {
				assert.ErrorContains(t, err, want)
			}
		})
	}
}

// footfall validate reports the files a start would fail on.
func TestValidateChecksTheFilesItOpens(t *testing.T) {
	cfg := loadConfig(t, "")
	cfg.GeoIP.Database = filepath.Join(t.TempDir(), "missing.mmdb")
	assert.ErrorContains(t, confmap.Validate(cfg), "FOOTFALL_GEOIP_DATABASE")

	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	cfg = loadConfig(t, "")
	cfg.Visitor.SaltFile = filepath.Join(notADir, "salt.json")
	assert.ErrorContains(t, confmap.Validate(cfg), "salt_file: "+notADir+" is not a directory")
}
