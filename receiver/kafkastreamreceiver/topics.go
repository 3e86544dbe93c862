// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// errTopicMismatch marks a topic layout that waiting does not fix.
var errTopicMismatch = errors.New("topic layout")

// ensureTopics checks that the events topic exists and that the changelog
// is co-partitioned with it and compacted, creating the changelog when it is
// missing and create_changelog allows it. A changelog with another
// partition count would put a partition's state where its owner does not
// look: that is refused, not repaired.
func ensureTopics(ctx context.Context, admin *kadm.Client, cfg *Config) error {
	changelog := cfg.changelogTopic()
	details, err := admin.ListTopics(ctx, cfg.Topic, changelog)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	events, ok := details[cfg.Topic]
	if !ok || events.Err != nil {
		return fmt.Errorf("events topic %q: %w", cfg.Topic, errors.Join(events.Err, errMissing(ok)))
	}
	partitions := len(events.Partitions)
	state, ok := details[changelog]
	if !ok || errors.Is(state.Err, kerr.UnknownTopicOrPartition) {
		if !cfg.CreateChangelog {
			return fmt.Errorf("%w: changelog topic %q does not exist and create_changelog is false", errTopicMismatch, changelog)
		}
		compact := "compact"
		resp, err := admin.CreateTopic(ctx, int32(partitions), cfg.ReplicationFactor, map[string]*string{"cleanup.policy": &compact}, changelog)
		if err == nil {
			err = resp.Err
		}
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create changelog topic %q: %w", changelog, err)
		}
		return nil
	}
	if state.Err != nil {
		return fmt.Errorf("changelog topic %q: %w", changelog, state.Err)
	}
	if got := len(state.Partitions); got != partitions {
		return fmt.Errorf("%w: changelog topic %q has %d partitions, events topic %q has %d: they must be co-partitioned", errTopicMismatch, changelog, got, cfg.Topic, partitions)
	}
	return checkCompacted(ctx, admin, changelog)
}

func checkCompacted(ctx context.Context, admin *kadm.Client, topic string) error {
	configs, err := admin.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe changelog topic %q: %w", topic, err)
	}
	rc, err := configs.On(topic, nil)
	if err != nil {
		return fmt.Errorf("describe changelog topic %q: %w", topic, err)
	}
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil && strings.Contains(*c.Value, "compact") {
			return nil
		}
	}
	return fmt.Errorf("%w: changelog topic %q must have cleanup.policy=compact: without it the changelog grows without bound and a restore reads all of it", errTopicMismatch, topic)
}

func errMissing(found bool) error {
	if found {
		return nil
	}
	return errors.New("not found")
}
