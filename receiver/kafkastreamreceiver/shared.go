// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"sync"

	"github.com/jonboulle/clockwork"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// One receiver serves both pipelines it is named in (metrics, and logs for
// the sessionized events), as otlpreceiver does: one consumer group member,
// one set of partitions. instances keys it by its configuration.
var instances = struct {
	sync.Mutex
	byConfig map[*Config]*shared
}{byConfig: map[*Config]*shared{}}

// shared is the one receiver behind both signals; it starts with the first
// Start and stops with the first Shutdown.
type shared struct {
	r         *kafkaStream
	startOnce sync.Once
	startErr  error
	stopOnce  sync.Once
	stopErr   error
}

// sharedFor returns cfg's receiver, creating it on the first call.
func sharedFor(cfg *Config, set receiver.Settings, clock clockwork.Clock) (*shared, error) {
	instances.Lock()
	defer instances.Unlock()
	if s, ok := instances.byConfig[cfg]; ok {
		return s, nil
	}
	r, err := newReceiver(cfg, set, clock)
	if err != nil {
		return nil, err
	}
	s := &shared{r: r}
	instances.byConfig[cfg] = s
	return s, nil
}

func (s *shared) withMetrics(next consumer.Metrics) *shared { s.r.nextMetrics = next; return s }

func (s *shared) withLogs(next consumer.Logs) *shared { s.r.nextLogs = next; return s }

func (s *shared) Start(ctx context.Context, host component.Host) error {
	s.startOnce.Do(func() { s.startErr = s.r.Start(ctx, host) })
	return s.startErr
}

func (s *shared) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		instances.Lock()
		for cfg, other := range instances.byConfig {
			if other == s {
				delete(instances.byConfig, cfg)
			}
		}
		instances.Unlock()
		s.stopErr = s.r.Shutdown(ctx)
	})
	return s.stopErr
}
