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
	"github.com/twmb/franz-go/pkg/kgo"
)

func adminOf(t *testing.T, broker string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func TestAMissingChangelogIsCreatedCoPartitionedAndCompacted(t *testing.T) {
	broker := startCluster(t)
	admin := adminOf(t, broker)
	cfg := testConfig(broker, "a")
	require.NoError(t, ensureTopics(context.Background(), admin, cfg))

	// The client's metadata can say "unknown" for a moment after the creation.
	require.Eventually(t, func() bool {
		details, err := admin.ListTopics(context.Background(), cfg.changelogTopic())
		return err == nil && len(details[cfg.changelogTopic()].Partitions) == partitions
	}, 10*time.Second, 50*time.Millisecond, "the changelog has as many partitions as the events topic")
	require.NoError(t, checkCompacted(context.Background(), admin, cfg.changelogTopic()))
	require.NoError(t, ensureTopics(context.Background(), admin, cfg), "an existing, fitting changelog is accepted")
}

func TestAChangelogThatDoesNotFitIsRefused(t *testing.T) {
	ctx := context.Background()
	broker := startCluster(t)
	admin := adminOf(t, broker)
	compact := "compact"

	cfg := testConfig(broker, "a")
	cfg.ChangelogTopic = "two.partitions"
	_, err := admin.CreateTopic(ctx, 2, -1, map[string]*string{"cleanup.policy": &compact}, cfg.changelogTopic())
	require.NoError(t, err)
	err = ensureTopics(ctx, admin, cfg)
	require.ErrorIs(t, err, errTopicMismatch)
	assert.ErrorContains(t, err, "has 2 partitions, events topic \"footfall.events\" has 4")

	cfg.ChangelogTopic = "not.compacted"
	_, err = admin.CreateTopic(ctx, partitions, -1, nil, cfg.changelogTopic())
	require.NoError(t, err)
	err = ensureTopics(ctx, admin, cfg)
	require.ErrorIs(t, err, errTopicMismatch)
	assert.ErrorContains(t, err, "cleanup.policy=compact")

	cfg.ChangelogTopic = "absent"
	cfg.CreateChangelog = false
	require.ErrorIs(t, ensureTopics(ctx, admin, cfg), errTopicMismatch)
}
