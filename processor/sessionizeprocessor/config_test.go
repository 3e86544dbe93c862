// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	storage := component.MustNewID("file_storage")
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr []string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			want: &Config{
				InactivityTimeout:      20 * time.Minute,
				MaxDuration:            12 * time.Hour,
				TimeZone:               "America/New_York",
				Sites:                  map[string]SiteConfig{"shop": {TimeZone: "Europe/Berlin", Bots: &BotRulesConfig{MaxPageViewsPerMinute: 200}}},
				AllowedLateness:        2 * time.Second,
				MaxClockSkew:           time.Minute,
				DedupWindow:            time.Hour,
				DedupMaxEntries:        5000,
				ReturningVisitorWindow: 12 * time.Hour,
				MaxRememberedVisitors:  7000,
				MaxSessions:            100_000,
				MaxPendingEvents:       10_000,
				MaxUndeliveredRecords:  20_000,
				Goals:                  []string{"signup", "purchase"},
				NonEngagementEvents:    []string{schema.EventEngagement},
				Storage:                &storage,
				WALDirectory:           "state/wal",
				CheckpointInterval:     10 * time.Second,
				DeliveryBackoff: configretry.BackOffConfig{
					Enabled: true, InitialInterval: time.Second, Multiplier: 2, MaxInterval: time.Minute, RandomizationFactor: 0.5,
				},
				FlushOnShutdown: true,
				Bots:            BotsConfig{Action: BotsFlag, BotRulesConfig: BotRulesConfig{MaxPageViewsPerMinute: 30, MaxReloads: 10}},
			},
		},
		{id: component.NewIDWithName(metadata.Type, "wal_without_storage"), wantErr: []string{"wal_directory needs storage"}},
		{id: component.NewIDWithName(metadata.Type, "lateness_too_long"), wantErr: []string{"allowed_lateness (2m0s) must be shorter than inactivity_timeout (1m0s)"}},
		{id: component.NewIDWithName(metadata.Type, "bad_time_zone"), wantErr: []string{"sites::shop::time_zone: unknown time zone Mars/Olympus_Mons"}},
		{id: component.NewIDWithName(metadata.Type, "bad_bot_action"), wantErr: []string{`bots::action must be "drop" or "flag", not "block"`}},
		{id: component.NewIDWithName(metadata.Type, "negative_bot_rule"), wantErr: []string{"sites::shop::bots: bot rules must not be negative"}},
		{id: component.NewIDWithName(metadata.Type, "delivery_gives_up"), wantErr: []string{"delivery_backoff: enabled must be true and max_elapsed_time 0"}},
		{id: component.NewIDWithName(metadata.Type, "zero_bounds"), wantErr: []string{"max_sessions must be positive, got 0", "dedup_window must be positive, got 0s", "max_remembered_visitors must be positive, got 0"}},
		{id: component.NewIDWithName(metadata.Type, "too_many_ids"), wantErr: []string{"dedup_max_entries must be at most 1073741824, got 2000000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if len(tt.wantErr) > 0 {
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

func TestValidateRejectsAPageViewGoal(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Goals = []string{schema.EventPageView}
	assert.ErrorContains(t, cfg.Validate(), `goals: "browser.page_view" cannot be a goal`)
}

// A site id names storage keys downstream: the ids sites are configured
// under follow the receiver's rule.
func TestSiteIDsAreValidated(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Sites = map[string]SiteConfig{"a..b": {}}
	require.ErrorContains(t, cfg.Validate(), `site id "a..b" must not contain ".."`)
}

// footfall validate reports a write-ahead log directory a start could not write.
func TestValidateChecksTheWALDirectory(t *testing.T) {
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	cfg := createDefaultConfig().(*Config)
	id := component.MustNewID("file_storage")
	cfg.Storage = &id
	cfg.WALDirectory = filepath.Join(notADir, "wal")
	assert.ErrorContains(t, cfg.Validate(), "wal_directory: "+notADir+" is not a directory")
	cfg.WALDirectory = filepath.Join(t.TempDir(), "wal")
	assert.NoError(t, cfg.Validate())
}
