// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

// A new owner does not read a changelog partition while the former owner's
// transaction is open there: that transaction may still commit, with the
// offsets of records whose state the new owner would then not have.
func TestARestoreWaitsForTheFormerOwnersOpenTransaction(t *testing.T) {
	broker := startCluster(t)
	admin := adminOf(t, broker)
	cfg := testConfig(broker, "a")
	require.NoError(t, ensureTopics(context.Background(), admin, cfg))
	topic := cfg.changelogTopic()
	require.Eventually(t, func() bool {
		_, _, err := endOffsets(context.Background(), admin, topic, 1)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "the new topic's offsets are listed")

	store := changelog.NewStore()
	require.NoError(t, store.Client("x").Set(context.Background(), "checkpoint", []byte("state")))
	formerOwner, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.TransactionalID("former"),
		kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer formerOwner.Close()
	require.NoError(t, formerOwner.BeginTransaction())
	for _, r := range store.Cut() {
		require.NoError(t, formerOwner.ProduceSync(context.Background(), &kgo.Record{Partition: 1, Key: r.Key, Value: r.Value}).FirstErr())
	}

	// Long enough for the offsets to be listed on a loaded machine: the
	// error must say why the restore gave up.
	short, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = readChangelog(short, admin, []kgo.Opt{kgo.SeedBrokers(broker)}, topic, 1)
	assert.ErrorContains(t, err, "a transaction stayed open")

	require.NoError(t, formerOwner.EndTransaction(context.Background(), kgo.TryCommit))
	restored, err := readChangelog(context.Background(), admin, []kgo.Opt{kgo.SeedBrokers(broker)}, topic, 1)
	require.NoError(t, err)
	got, err := restored.Client("x").Get(context.Background(), "checkpoint")
	require.NoError(t, err)
	assert.Equal(t, []byte("state"), got, "the committed transaction is read to its end")

	empty, err := readChangelog(context.Background(), admin, []kgo.Opt{kgo.SeedBrokers(broker)}, topic, 2)
	require.NoError(t, err)
	assert.Zero(t, empty.Size(), "a partition never written restores empty")
}
