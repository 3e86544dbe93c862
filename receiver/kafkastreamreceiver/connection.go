// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"go.opentelemetry.io/collector/config/configopaque"
)

// SASLConfig authenticates to the brokers.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string              `mapstructure:"mechanism"`
	Username  string              `mapstructure:"username"`
	Password  configopaque.String `mapstructure:"password"`
}

// Validate checks the mechanism and that credentials are given.
func (c *SASLConfig) Validate() error {
	switch c.Mechanism {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return fmt.Errorf("sasl: mechanism %q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512", c.Mechanism)
	}
	if c.Username == "" || c.Password == "" {
		return errors.New("sasl: username and password are required (the shipped configs read them from FOOTFALL_KAFKA_USERNAME and FOOTFALL_KAFKA_PASSWORD)")
	}
	return nil
}

// connectionOpts are the client options every Kafka client of the receiver
// shares: brokers, TLS, SASL and the request deadline.
func connectionOpts(ctx context.Context, cfg *Config) ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(cfg.Brokers...), kgo.RequestTimeoutOverhead(cfg.Timeout)}
	if cfg.TLS != nil {
		tlsConfig, err := cfg.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		opts = append(opts, kgo.DialTLSConfig(tlsConfig))
	}
	if cfg.SASL != nil {
		user, pass := cfg.SASL.Username, string(cfg.SASL.Password)
		switch cfg.SASL.Mechanism {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		}
	}
	return opts, nil
}
