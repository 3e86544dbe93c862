// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector"
	"github.com/footfall-analytics/footfall/internal/confkeys"
	"github.com/footfall-analytics/footfall/internal/kafkaclient"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
)

// Config of the kafkastream receiver.
type Config struct {
	// ClientConfig is the connection to the brokers in contrib's shape
	// (configkafka, as the Kafka exporter and receiver): brokers, client_id,
	// tls, auth::sasl, metadata, rack_id, dial_timeout, conn_idle_timeout,
	// protocol_version. Defaults configkafka.NewDefaultClientConfig():
	// [localhost:9092], plaintext, no authentication. Options this receiver
	// does not support are refused (kafkaclient.Unsupported).
	configkafka.ClientConfig `mapstructure:",squash"`
	// Topic is the events topic the gateways write (OTLP protobuf logs, keyed
	// by visitor). Default footfall.events.
	Topic string `mapstructure:"topic"`
	// ChangelogTopic holds each partition's state. It must have as many
	// partitions as Topic and cleanup.policy=compact; it is created so when
	// missing (create_changelog) and checked at start. It belongs to one
	// consumer group: a second group (a replay) must not share it. Default
	// the group id followed by "-changelog".
	ChangelogTopic string `mapstructure:"changelog_topic"`
	// CreateChangelog creates ChangelogTopic when it does not exist. Default true.
	CreateChangelog bool `mapstructure:"create_changelog"`
	// ReplicationFactor of a created changelog topic; -1 is the broker's
	// default. Default -1.
	ReplicationFactor int16 `mapstructure:"replication_factor"`
	// GroupID is the consumer group of the processing collectors. Default
	// footfall-processing.
	GroupID string `mapstructure:"group_id"`
	// TransactionalID identifies this collector's transactions. It must be
	// unique in the group and stay the same across restarts of the same
	// instance, so that a restarted instance fences its former self. Default
	// the group id and the host name.
	TransactionalID string `mapstructure:"transactional_id"`
	// CommitInterval is how often state, consumer offsets and metrics are
	// committed. Metrics are published only from committed state, so this
	// adds to the time an event takes to show. Default 500ms.
	CommitInterval time.Duration `mapstructure:"commit_interval"`
	// TransactionTimeout is how long the broker waits before it aborts an
	// open transaction of a collector that died; a new owner of its
	// partitions waits for that. Default 10s.
	TransactionTimeout time.Duration `mapstructure:"transaction_timeout"`
	// SessionTimeout is how long the group waits for a silent member before
	// it gives its partitions to others. Default 10s.
	SessionTimeout time.Duration `mapstructure:"session_timeout"`
	// RebalanceTimeout is how long a rebalance waits for every member to
	// join it again. A collector joins between turns, after its
	// transaction ended, so it must be longer than commit_interval and
	// transaction_timeout together, and than restoring the partitions a
	// collector is given. A member that died during a rebalance holds it
	// for up to this long where the broker does not expire it after
	// session_timeout (kfake, in the tests). Default 60s (franz-go's).
	RebalanceTimeout time.Duration `mapstructure:"rebalance_timeout"`
	// ErrorBackOff is how a batch a partition's sessionizer refused for
	// now (its buffers are full) is offered again: the contrib Kafka
	// receiver's error_backoff. The tries end at max_elapsed_time, and
	// always by half of session_timeout, the group's patience; the
	// partition is then paused and read again later (stall). Disabled, the
	// first refusal pauses the partition. Default: 50ms doubling up to 1s,
	// randomized by half.
	ErrorBackOff configretry.BackOffConfig `mapstructure:"error_backoff"`
	// Timeout bounds each call to Kafka outside the commit loop (topic checks,
	// reading a changelog partition). Default 60s.
	Timeout time.Duration `mapstructure:"timeout"`

	// MaxRecordBytes bounds one record of the events topic (its value, as
	// stored: compressed batches are bounded by fetch_max_bytes). A larger
	// record is skipped and counted. Default 1 MiB, the brokers' default
	// message size.
	MaxRecordBytes int `mapstructure:"max_record_bytes"`
	// MaxEventsPerRecord bounds the events one record holds; a gateway
	// writes one record per (site, visitor) group of a request, so at most
	// the intake's max_events_per_request. A record with more is skipped and
	// counted. Default 1000; at most a quarter of sessionize's
	// max_pending_events.
	MaxEventsPerRecord int `mapstructure:"max_events_per_record"`
	// FetchMaxBytes bounds what one fetch returns, and what one fetched
	// batch may decompress to: a small compressed batch of the topic must
	// not expand into gigabytes. Default 16 MiB; at least max_record_bytes.
	FetchMaxBytes int32 `mapstructure:"fetch_max_bytes"`

	// Sessionize configures the sessionizer run for each partition, as the
	// sessionize processor's settings; storage and wal_directory are not
	// allowed: the state lives in the changelog.
	Sessionize sessionizeprocessor.Config `mapstructure:"sessionize"`
	// WebAnalytics configures the aggregator run for each partition, as the
	// webanalytics connector's settings, without storage.
	WebAnalytics webanalyticsconnector.Config `mapstructure:"webanalytics"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Unmarshal reads the settings, and says where a key of the receiver's
// former shape went: sasl is auth::sasl since it takes contrib's connection
// settings.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	return confkeys.Unmarshal(conf, cfg, formerKeys)
}

var formerKeys = []confkeys.Refused{
	{Key: "sasl", Verdict: "is now auth::sasl", Instead: "as in the contrib Kafka receiver and exporter (mechanism, username and password are unchanged)"},
}

// changelogTopic is the configured topic, or the group's own.
func (cfg *Config) changelogTopic() string {
	if cfg.ChangelogTopic != "" {
		return cfg.ChangelogTopic
	}
	return cfg.GroupID + "-changelog"
}

// transactionalID is the configured id, or the group id and host name.
func (cfg *Config) transactionalID() string {
	if cfg.TransactionalID != "" {
		return cfg.TransactionalID
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return cfg.GroupID + "-" + host
}

// Validate checks the settings; the connection and the nested sessionize
// and webanalytics settings are validated by their own Validate too.
func (cfg *Config) Validate() error {
	errs := kafkaclient.Unsupported(cfg.ClientConfig)
	if sasl := cfg.Authentication.SASL; sasl != nil && (sasl.Username == "" || sasl.Password == "") {
		errs = append(errs, errors.New("auth::sasl: username and password are required (the shipped configs read them from FOOTFALL_KAFKA_USERNAME and FOOTFALL_KAFKA_PASSWORD)"))
	}
	if cfg.Topic == "" || cfg.GroupID == "" {
		errs = append(errs, errors.New("topic and group_id must be set"))
	}
	if cfg.Topic == cfg.changelogTopic() {
		errs = append(errs, errors.New("changelog_topic must differ from topic"))
	}
	if cfg.CommitInterval <= 0 || cfg.TransactionTimeout <= 0 || cfg.SessionTimeout <= 0 || cfg.Timeout <= 0 {
		errs = append(errs, errors.New("commit_interval, transaction_timeout, session_timeout and timeout must be positive"))
	}
	if b := cfg.ErrorBackOff; b.Enabled && (b.InitialInterval <= 0 || b.MaxInterval < b.InitialInterval || b.Multiplier < 1 || b.MaxElapsedTime < 0) {
		errs = append(errs, errors.New("error_backoff: initial_interval must be positive, max_interval at least initial_interval, multiplier at least 1 and max_elapsed_time not negative"))
	}
	if cfg.CommitInterval >= cfg.TransactionTimeout {
		errs = append(errs, errors.New("commit_interval must be shorter than transaction_timeout"))
	}
	if cfg.RebalanceTimeout <= cfg.CommitInterval+cfg.TransactionTimeout {
		errs = append(errs, errors.New("rebalance_timeout must be longer than commit_interval and transaction_timeout together: a collector joins a rebalance once its transaction has ended"))
	}
	if cfg.MaxRecordBytes <= 0 || cfg.MaxEventsPerRecord <= 0 || int64(cfg.FetchMaxBytes) < int64(cfg.MaxRecordBytes) {
		errs = append(errs, errors.New("max_record_bytes and max_events_per_record must be positive, and fetch_max_bytes at least max_record_bytes"))
	}
	if cfg.MaxEventsPerRecord > cfg.Sessionize.MaxPendingEvents/4 {
		errs = append(errs, fmt.Errorf("max_events_per_record (%d) must be at most a quarter of sessionize::max_pending_events (%d), or one record could never fit", cfg.MaxEventsPerRecord, cfg.Sessionize.MaxPendingEvents))
	}
	if cfg.Sessionize.Storage != nil || cfg.Sessionize.WALDirectory != "" || cfg.WebAnalytics.Storage != nil {
		errs = append(errs, errors.New("sessionize and webanalytics: storage and wal_directory are not allowed; their state is kept in changelog_topic"))
	}
	return errors.Join(errs...)
}
