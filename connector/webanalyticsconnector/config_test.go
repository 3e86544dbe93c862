// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{
			id: component.NewIDWithName(metadata.Type, "custom"),
			want: &Config{
				PathRules:              []PathRule{{Match: "/product/[^/]+", Template: "/product/{id}"}},
				TopK:                   20,
				MaxSeriesPerSite:       500,
				MaxSeries:              5000,
				CurrentVisitorsWindow:  10 * time.Minute,
				FlushInterval:          2 * time.Second,
				HourlyRefreshInterval:  30 * time.Second,
				Properties:             map[string][]string{"signup": {"plan"}, "browser.page_view": {"author", "category"}},
				RevenueDedupMaxEntries: 1000,
				RevenueDedupWindow:     time.Hour,
				Storage:                &storageID,
			},
		},
		{id: component.NewIDWithName(metadata.Type, "moved_to_sessionize"), wantErr: "goals is no longer a setting of the webanalytics connector: declare goals once, on the sessionize processor"},
		{id: component.NewIDWithName(metadata.Type, "moved_to_sessionize"), wantErr: "allowed_lateness is no longer a setting of the webanalytics connector: the sessionize processor's allowed_lateness decides"},
		{id: component.NewIDWithName(metadata.Type, "moved_to_sessionize"), wantErr: "time_zone is no longer a setting of the webanalytics connector: set time_zone and sites::<id>::time_zone once, on the sessionize processor"},
		{id: component.NewIDWithName(metadata.Type, "moved_to_sessionize"), wantErr: "sites is no longer a setting of the webanalytics connector: set time_zone"},
		{id: component.NewIDWithName(metadata.Type, "too_many_revenue_ids"), wantErr: "revenue_dedup_max_entries must be at most 1073741824, got 2000000000"},
		{id: component.NewIDWithName(metadata.Type, "bad_window"), wantErr: "current_visitors_window must be whole minutes from 1m to 60m, got 1m30s"},
		{id: component.NewIDWithName(metadata.Type, "bad_rule"), wantErr: "path_rules: path rule 0: error parsing regexp"},
		{id: component.NewIDWithName(metadata.Type, "bad_site_budget"), wantErr: "max_series_per_site must be from 1 to max_series (100), got 200"},
		{id: component.NewIDWithName(metadata.Type, "bad_property"), wantErr: `properties::signup: property names must be non-empty and distinct, got "plan"`},
		{id: component.NewIDWithName(metadata.Type, "too_many_properties"), wantErr: "properties: at most 32 event name and property pairs, got 33"},
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
