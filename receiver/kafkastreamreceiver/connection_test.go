// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
)

func TestSASLCredentialsReachAnAuthenticatingBroker(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, eventsTopic),
		kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "footfall", "right"))
	require.NoError(t, err)
	defer cluster.Close()

	check := func(password string) error {
		cfg := testConfig(cluster.ListenAddrs()[0], "a")
		cfg.Authentication.SASL = &configkafka.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "footfall", Password: password}
		cfg.Timeout = 2 * time.Second
		opts, err := connectionOpts(context.Background(), cfg)
		require.NoError(t, err)
		cl, err := kgo.NewClient(opts...)
		require.NoError(t, err)
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		return ensureTopics(ctx, kadm.NewClient(cl), cfg)
	}
	assert.NoError(t, check("right"))
	assert.Error(t, check("wrong"))
}
