// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// unsupportedClientOptions refuses the contrib connection options this
// receiver does not implement, naming each, so that a config pasted from
// the contrib Kafka receiver never means less than it says.
func unsupportedClientOptions(c configkafka.ClientConfig) []error {
	var errs []error
	if c.Authentication.Kerberos != nil {
		errs = append(errs, errors.New("auth::kerberos is not supported; use auth::sasl"))
	}
	if sasl := c.Authentication.SASL; sasl != nil {
		switch sasl.Mechanism {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			errs = append(errs, fmt.Errorf("auth::sasl::mechanism %q is not supported; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", sasl.Mechanism))
		}
	}
	if !c.UseLeaderEpoch {
		errs = append(errs, errors.New("use_leader_epoch: false is not supported"))
	}
	return errs
}

// connectionOpts are the client options every Kafka client of the receiver
// shares: the connection settings and the request deadline.
func connectionOpts(ctx context.Context, cfg *Config) ([]kgo.Opt, error) {
	c := cfg.ClientConfig
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.RequestTimeoutOverhead(cfg.Timeout),
		kgo.ClientID(c.ClientID),
		kgo.DialTimeout(c.DialTimeout),
		kgo.ConnIdleTimeout(c.ConnIdleTimeout),
		kgo.MetadataMaxAge(c.Metadata.RefreshInterval),
		kgo.RequestRetries(c.Metadata.Retry.Max),
		kgo.RetryBackoffFn(retryBackoff(c.Metadata.Retry.Backoff)),
	}
	if c.RackID != "" {
		opts = append(opts, kgo.Rack(c.RackID))
	}
	if c.ProtocolVersion != "" {
		opts = append(opts, kgo.MaxVersions(kversion.FromString(c.ProtocolVersion)))
	}
	if c.TLS != nil {
		tlsConfig, err := c.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		opts = append(opts, kgo.DialTLSConfig(tlsConfig))
	}
	if sasl := c.Authentication.SASL; sasl != nil {
		user, pass := sasl.Username, sasl.Password
		switch sasl.Mechanism {
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

// retryBackoff doubles from base on each try, up to the larger of 5 s and
// base, as configkafka documents metadata::retry::backoff.
func retryBackoff(base time.Duration) func(int) time.Duration {
	ceiling := max(5*time.Second, base)
	return func(tries int) time.Duration {
		d := base
		for i := 1; i < tries && d < ceiling; i++ {
			d *= 2
		}
		return min(d, ceiling)
	}
}
