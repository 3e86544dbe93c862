// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	custom := createDefaultConfig().(*Config)
	custom.Brokers = []string{"kafka-1:9092", "kafka-2:9092"}
	custom.Topic = "web.events"
	custom.SpillAfter = 500 * time.Millisecond
	custom.MaxInFlightBytes = 32 << 20
	custom.Spill.Directory = "/data/spill"
	custom.Spill.MaxBytes = 512 << 20
	custom.Spill.DrainBackOff.InitialInterval = time.Second
	custom.Spill.DrainBackOff.MaxInterval = 30 * time.Second

	tests := []struct {
		name    string
		want    *Config
		wantErr string
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "custom", want: custom},
		{name: "former_retry_keys", wantErr: "spill::retry_initial_interval is now spill::drain_backoff::initial_interval"},
		{name: "former_retry_keys", wantErr: "spill::retry_max_interval is now spill::drain_backoff::max_interval"},
		{name: "drain_gives_up", wantErr: "spill::drain_backoff: enabled must be true, max_elapsed_time 0"},
		{name: "acks_from_leader", wantErr: "producer::required_acks must be -1"},
		{name: "spill_after_timeout", wantErr: "spill_after must be positive and below timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
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
