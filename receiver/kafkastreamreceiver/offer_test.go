// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// refusingSessionizer refuses the first refusals offers with err, then
// takes what it is offered.
type refusingSessionizer struct {
	err      error
	refusals int
	offers   int
}

func (*refusingSessionizer) Start(context.Context, component.Host) error { return nil }
func (*refusingSessionizer) Shutdown(context.Context) error              { return nil }
func (*refusingSessionizer) Capabilities() consumer.Capabilities         { return consumer.Capabilities{} }

func (s *refusingSessionizer) ConsumeLogs(context.Context, plog.Logs) error {
	s.offers++
	if s.offers <= s.refusals {
		return s.err
	}
	return nil
}

// offerWithClock runs offer on a fake clock that moves by each wait, and
// returns the waits with offer's answer.
func offerWithClock(t *testing.T, cfg *Config, s *refusingSessionizer) (waits []time.Duration, permanent bool, err error) {
	t.Helper()
	clock := &waitingClock{FakeClock: clockwork.NewFakeClockAt(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC))}
	r, err := newReceiver(cfg, receivertest.NewNopSettings(component.MustNewType("kafkastream")), clock)
	require.NoError(t, err)
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	permanent, err = r.offer(context.Background(), &partition{sessionize: s}, ld)
	return clock.waits, permanent, err
}

// waitingClock is a fake clock whose After records the wait and moves the
// clock past it at once: offer's delays, without sleeping.
type waitingClock struct {
	*clockwork.FakeClock
	waits []time.Duration
}

func (c *waitingClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.Advance(d)
	fired := make(chan time.Time, 1)
	fired <- c.Now()
	return fired
}

// A batch refused for now is offered again after error_backoff's delays,
// growing from initial_interval up to max_interval, until it is taken.
func TestARefusedBatchIsOfferedAgainWithErrorBackoff(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ErrorBackOff.RandomizationFactor = 0
	s := &refusingSessionizer{err: errors.New("buffers full"), refusals: 7}
	waits, permanent, err := offerWithClock(t, cfg, s)
	require.NoError(t, err)
	assert.False(t, permanent)
	assert.Equal(t, 8, s.offers)
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}, waits)
}

// The tries end within half of session_timeout, or error_backoff's
// max_elapsed_time when shorter; disabled, the first refusal ends them. A
// permanent refusal is never tried again.
func TestTheTriesEndWithTheGroupsPatience(t *testing.T) {
	refusesForever := func() *refusingSessionizer {
		return &refusingSessionizer{err: errors.New("buffers full"), refusals: 1 << 30}
	}
	sum := func(waits []time.Duration) (total time.Duration) {
		for _, w := range waits {
			total += w
		}
		return total
	}

	cfg := createDefaultConfig().(*Config)
	cfg.SessionTimeout = 10 * time.Second
	waits, _, err := offerWithClock(t, cfg, refusesForever())
	require.ErrorIs(t, err, errGaveUp)
	assert.LessOrEqual(t, sum(waits), 5*time.Second)
	assert.Greater(t, sum(waits), 3*time.Second, "it keeps trying for most of the patience")

	cfg.ErrorBackOff.MaxElapsedTime = time.Second
	waits, _, err = offerWithClock(t, cfg, refusesForever())
	require.ErrorIs(t, err, errGaveUp)
	assert.LessOrEqual(t, sum(waits), time.Second)

	cfg.ErrorBackOff.Enabled = false
	s := refusesForever()
	waits, _, err = offerWithClock(t, cfg, s)
	require.ErrorIs(t, err, errGaveUp)
	assert.Empty(t, waits)
	assert.Equal(t, 1, s.offers)

	cfg = createDefaultConfig().(*Config)
	s = &refusingSessionizer{err: consumererror.NewPermanent(errors.New("invalid")), refusals: 1 << 30}
	waits, permanent, err := offerWithClock(t, cfg, s)
	require.NoError(t, err)
	assert.True(t, permanent)
	assert.Empty(t, waits)
	assert.Equal(t, 1, s.offers)
}

// The receiver runs on the clock of the context it was created with, as
// contrib's connectors do: a test that puts a fake clock there drives the
// loop's waits (and the partitions' components, which startPartition
// hands it to).
func TestTheReceiverRunsOnTheClockOfItsContext(t *testing.T) {
	clock := clockwork.NewFakeClock()
	ctx := clockwork.AddToContext(context.Background(), clock)
	created, err := NewFactory().CreateMetrics(ctx, receivertest.NewNopSettings(component.MustNewType("kafkastream")), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, created.Shutdown(context.Background())) })
	assert.Same(t, clock, created.(*shared).r.clock)
}
