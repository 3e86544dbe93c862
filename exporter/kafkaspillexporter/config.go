// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"

import (
	"errors"
	"fmt"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"

	"github.com/footfall-analytics/footfall/internal/confkeys"
	"github.com/footfall-analytics/footfall/internal/kafkaclient"
)

// Config is contrib's Kafka connection and producer settings (the keys of
// the contrib Kafka exporter), the topic, and how long a request waits on
// Kafka before it goes to the spill.
type Config struct {
	// The brokers, client id, tls, auth::sasl, metadata and timeouts, as
	// contrib's configkafka reads them. Options Footfall does not implement
	// (kerberos, OAUTHBEARER, AWS_MSK) are refused by name.
	configkafka.ClientConfig `mapstructure:",squash"`
	// Producer is contrib's producer settings: max_message_bytes,
	// compression, linger. required_acks must be -1 (all in-sync
	// replicas): an acknowledgement on fewer is not a durable one.
	Producer configkafka.ProducerConfig `mapstructure:"producer"`
	// Topic is the events topic. Default footfall.events.
	Topic string `mapstructure:"topic"`
	// Timeout bounds a message's delivery to Kafka, retries included: past
	// it franz-go fails the message (a spilled request is in the spill
	// already; a drained one is tried again). Default 10s.
	Timeout time.Duration `mapstructure:"timeout"`
	// SpillAfter is how long a request waits for Kafka's acknowledgements
	// before it is written to the spill instead. Default 1s.
	SpillAfter time.Duration `mapstructure:"spill_after"`
	// MaxInFlightBytes bounds the encoded bytes of the requests waiting on
	// Kafka or the spill, and franz-go's buffer: past it requests are
	// refused (503 with Retry-After) rather than held in memory. Default
	// 64 MiB.
	MaxInFlightBytes int64 `mapstructure:"max_in_flight_bytes"`
	// Spill is the log on disk used while Kafka is away.
	Spill SpillConfig `mapstructure:"spill"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// SpillConfig is where and how much the exporter spills.
type SpillConfig struct {
	// Directory holds the spill's segments. It must survive a restart, as
	// the acknowledged events in it must. Default /var/lib/footfall/spill
	// (the data directory of the packages and the image).
	Directory string `mapstructure:"directory"`
	// MaxBytes bounds the spill on disk; past it requests are refused
	// (503 with Retry-After). Default 1 GiB: at 20 MB/s of encoded events
	// (about 60,000 events/s) that is 50 s of outage.
	MaxBytes int64 `mapstructure:"max_bytes"`
	// SegmentBytes is the size of one segment file. Drained segments are
	// deleted whole, so a crash while draining sends at most one segment
	// twice (the processing tier drops duplicates by event id). Default
	// 16 MiB.
	SegmentBytes int64 `mapstructure:"segment_bytes"`
	// DrainBackOff spaces the drainer's tries while Kafka is away: a
	// configretry setting, which must be enabled with max_elapsed_time 0
	// (the spill holds acknowledged events: the drainer never gives up).
	// Default 250ms doubling up to 5s, randomized by half.
	DrainBackOff configretry.BackOffConfig `mapstructure:"drain_backoff"`
}

var _ component.Config = (*Config)(nil)

// Unmarshal reads the settings, and says where a former key went.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	return confkeys.Unmarshal(conf, cfg, formerKeys)
}

var formerKeys = []confkeys.Refused{
	{Key: "spill::retry_initial_interval", Verdict: "is now spill::drain_backoff::initial_interval", Instead: "the drainer's waits are a configretry setting"},
	{Key: "spill::retry_max_interval", Verdict: "is now spill::drain_backoff::max_interval", Instead: "the drainer's waits are a configretry setting"},
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	errs := kafkaclient.Unsupported(cfg.ClientConfig)
	if len(cfg.Brokers) == 0 {
		errs = append(errs, errors.New("brokers must not be empty"))
	}
	if cfg.Topic == "" {
		errs = append(errs, errors.New("topic must not be empty"))
	}
	if cfg.Producer.RequiredAcks != configkafka.WaitForAll {
		errs = append(errs, errors.New("producer::required_acks must be -1 (all): the exporter acknowledges on Kafka's acks, which must be durable"))
	}
	if cfg.Producer.MaxMessageBytes <= 0 {
		errs = append(errs, errors.New("producer::max_message_bytes must be positive"))
	}
	if cfg.Timeout < time.Second {
		errs = append(errs, errors.New("timeout must be at least 1s (franz-go's shortest delivery timeout)"))
	}
	if cfg.SpillAfter <= 0 || cfg.SpillAfter >= cfg.Timeout {
		errs = append(errs, fmt.Errorf("spill_after must be positive and below timeout (%v)", cfg.Timeout))
	}
	if cfg.MaxInFlightBytes < int64(cfg.Producer.MaxMessageBytes) {
		errs = append(errs, fmt.Errorf("max_in_flight_bytes must be at least producer::max_message_bytes (%d)", cfg.Producer.MaxMessageBytes))
	}
	errs = append(errs, cfg.Spill.validate()...)
	return errors.Join(errs...)
}

func (s SpillConfig) validate() []error {
	var errs []error
	if s.Directory == "" {
		errs = append(errs, errors.New("spill::directory must not be empty: acknowledged events are kept there while Kafka is away"))
	}
	if s.SegmentBytes <= 0 || s.MaxBytes < s.SegmentBytes {
		errs = append(errs, errors.New("spill::segment_bytes must be positive and spill::max_bytes at least one segment"))
	}
	if b := s.DrainBackOff; !b.Enabled || b.MaxElapsedTime != 0 || b.InitialInterval <= 0 || b.MaxInterval < b.InitialInterval || b.Multiplier < 1 {
		errs = append(errs, errors.New("spill::drain_backoff: enabled must be true, max_elapsed_time 0 (the drainer never gives up on acknowledged events), initial_interval positive, max_interval at least initial_interval and multiplier at least 1"))
	}
	return errs
}
