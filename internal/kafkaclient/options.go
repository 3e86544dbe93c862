// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package kafkaclient turns contrib's configkafka connection settings into
// franz-go client options, for every Footfall component that talks to
// Kafka, and refuses by name the settings they do not implement.
package kafkaclient // import "github.com/footfall-analytics/footfall/internal/kafkaclient"

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

// Unsupported refuses the contrib connection options Footfall does not
// implement, naming each, so that a config pasted from a contrib Kafka
// component never means less than it says.
func Unsupported(c configkafka.ClientConfig) []error {
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

// Options are the connection settings and the request deadline as client
// options.
func Options(ctx context.Context, c configkafka.ClientConfig, requestTimeout time.Duration) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.RequestTimeoutOverhead(requestTimeout),
		kgo.ClientID(c.ClientID),
		kgo.DialTimeout(c.DialTimeout),
		kgo.ConnIdleTimeout(c.ConnIdleTimeout),
		kgo.MetadataMaxAge(c.Metadata.RefreshInterval),
		kgo.RequestRetries(c.Metadata.Retry.Max),
		kgo.RetryBackoffFn(RetryBackoff(c.Metadata.Retry.Backoff)),
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

// RetryBackoff doubles from base on each try, up to the larger of 5 s and
// base, as configkafka documents metadata::retry::backoff.
func RetryBackoff(base time.Duration) func(int) time.Duration {
	ceiling := max(5*time.Second, base)
	return func(tries int) time.Duration {
		d := base
		for i := 1; i < tries && d < ceiling; i++ {
			d *= 2
		}
		return min(d, ceiling)
	}
}
