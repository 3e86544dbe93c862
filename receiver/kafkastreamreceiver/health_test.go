// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// statusHost records the statuses a component reports.
type statusHost struct {
	component.Host
	events []*componentstatus.Event
}

func (h *statusHost) Report(e *componentstatus.Event) { h.events = append(h.events, e) }

func (h *statusHost) statuses() []componentstatus.Status {
	var out []componentstatus.Status
	for _, e := range h.events {
		out = append(out, e.Status())
	}
	return out
}

// An outage of Kafka is said once a minute, not once a try, and reported as
// one recoverable error; reaching Kafka again reports OK once. Outages in
// quick succession (a broker of several flapping) are said once a minute
// too.
func TestKafkaOutageIsSaidOnceAMinute(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	host := &statusHost{Host: componenttest.NewNopHost()}
	h := &kafkaHealth{host: host, logger: zap.New(core), clock: clock}
	refused := errors.New("dial tcp 127.0.0.1:9092: connection refused")
	for range 150 { // 150 s of tries, one a second
		h.failed("Kafka cannot be reached", refused)
		clock.Advance(time.Second)
	}
	h.reached()
	h.reached()
	h.failed("Fetching failed", refused) // 30 s after the last warning
	clock.Advance(time.Minute)
	h.failed("Fetching failed", refused)
	h.reached()

	var said []string
	for _, entry := range logs.All() {
		said = append(said, fmt.Sprintf("%s after %d", entry.Message, entry.ContextMap()["failures"]))
	}
	assert.Equal(t, []string{
		"Kafka cannot be reached after 1", "Kafka cannot be reached after 61", "Kafka cannot be reached after 121",
		"Kafka reached after 150", "Fetching failed after 2", "Kafka reached after 2",
	}, said)
	assert.Equal(t, []componentstatus.Status{
		componentstatus.StatusRecoverableError, componentstatus.StatusOK,
		componentstatus.StatusRecoverableError, componentstatus.StatusOK,
	}, host.statuses())
}
