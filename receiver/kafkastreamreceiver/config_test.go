// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	custom := createDefaultConfig().(*Config)
	custom.Brokers = []string{"kafka-1:9092", "kafka-2:9092"}
	custom.Topic = "web.events"
	custom.ChangelogTopic = "web.events.state"
	custom.CreateChangelog = false
	custom.ReplicationFactor = 3
	custom.GroupID = "analytics"
	custom.TransactionalID = "analytics-0"
	custom.CommitInterval = time.Second
	custom.TransactionTimeout = 15 * time.Second
	custom.SessionTimeout = 12 * time.Second
	custom.RebalanceTimeout = 45 * time.Second
	custom.ErrorBackOff.InitialInterval = 100 * time.Millisecond
	custom.ErrorBackOff.MaxInterval = 2 * time.Second
	custom.ErrorBackOff.MaxElapsedTime = 4 * time.Second
	custom.Timeout = 30 * time.Second
	custom.Sessionize.Goals = []string{"signup"}
	custom.Sessionize.AllowedLateness = 2 * time.Second
	custom.WebAnalytics.FlushInterval = time.Second

	secure := createDefaultConfig().(*Config)
	tlsConfig := configtls.NewDefaultClientConfig()
	tlsConfig.CAFile = "/etc/kafka/ca.pem"
	secure.TLS = &tlsConfig
	secure.ClientID = "footfall-processing"
	secure.Authentication.SASL = &configkafka.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "footfall", Password: "secret"}

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: createDefaultConfig().(*Config)},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: custom},
		{id: component.NewIDWithName(metadata.Type, "secure"), want: secure},
		{id: component.NewIDWithName(metadata.Type, "bad_sasl"), wantErr: `auth::sasl::mechanism "GSSAPI" is not supported`},
		{id: component.NewIDWithName(metadata.Type, "no_password"), wantErr: "FOOTFALL_KAFKA_USERNAME and FOOTFALL_KAFKA_PASSWORD"},
		{id: component.NewIDWithName(metadata.Type, "oauthbearer"), wantErr: `auth::sasl::mechanism "OAUTHBEARER" is not supported`},
		{id: component.NewIDWithName(metadata.Type, "kerberos"), wantErr: "auth::kerberos is not supported"},
		{id: component.NewIDWithName(metadata.Type, "no_leader_epoch"), wantErr: "use_leader_epoch: false is not supported"},
		{id: component.NewIDWithName(metadata.Type, "no_brokers"), wantErr: "brokers must be specified"},
		{id: component.NewIDWithName(metadata.Type, "old_sasl_key"), wantErr: "sasl is now auth::sasl"},
		{id: component.NewIDWithName(metadata.Type, "storage_not_allowed"), wantErr: "storage and wal_directory are not allowed"},
		{id: component.NewIDWithName(metadata.Type, "zone_in_webanalytics"), wantErr: "time_zone is no longer a setting of the webanalytics connector: set time_zone and sites::<id>::time_zone once, on the sessionize processor"},
		{id: component.NewIDWithName(metadata.Type, "same_topics"), wantErr: "changelog_topic must differ from topic"},
		{id: component.NewIDWithName(metadata.Type, "nested_invalid"), wantErr: "sessionize: max_sessions must be positive"},
		{id: component.NewIDWithName(metadata.Type, "backoff_shrinks"), wantErr: "error_backoff: initial_interval must be positive, max_interval at least initial_interval"},
		{id: component.NewIDWithName(metadata.Type, "commit_too_slow"), wantErr: "commit_interval must be shorter than transaction_timeout"},
		{id: component.NewIDWithName(metadata.Type, "rebalance_too_short"), wantErr: "rebalance_timeout must be longer than commit_interval and transaction_timeout together"},
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

func TestDefaultsNameTheGroupsOwnChangelogAndThisHost(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "footfall-processing-changelog", cfg.changelogTopic())
	assert.Contains(t, cfg.transactionalID(), "footfall-processing-")
	cfg.GroupID = "replay"
	assert.Equal(t, "replay-changelog", cfg.changelogTopic(), "a replay group does not share the changelog")
}
