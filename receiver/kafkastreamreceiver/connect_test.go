// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadata"
)

// statusHost records the statuses a component reports.
type statusHost struct {
	component.Host
	events []*componentstatus.Event
}

func (h *statusHost) Report(e *componentstatus.Event) { h.events = append(h.events, e) }

// An unreachable Kafka is said once a minute, not once a second, and
// reported as a recoverable error once.
func TestUnreachableKafkaIsSaidOnceAMinute(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	r := &kafkaStream{cfg: createDefaultConfig().(*Config), set: set}
	host := &statusHost{Host: componenttest.NewNopHost()}
	for attempt := 1; attempt <= 150; attempt++ {
		r.connectFailed(host, attempt, errors.New("dial tcp 127.0.0.1:9092: connection refused"))
	}
	var attempts []int64
	for _, entry := range logs.All() {
		attempts = append(attempts, entry.ContextMap()["attempts"].(int64))
	}
	assert.Equal(t, []int64{1, 60, 120}, attempts)
	if assert.Len(t, host.events, 1) {
		assert.Equal(t, componentstatus.StatusRecoverableError, host.events[0].Status())
	}
}
