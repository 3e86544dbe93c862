// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// healthWarnEvery is the least time between two warnings that Kafka
// cannot be reached: one a minute, not one a try.
const healthWarnEvery = time.Minute

// kafkaHealth is what the receiver last saw of Kafka, told to the component
// status: a recoverable error from the first failure, OK again from the
// first answer. A health check built on component status (the processing
// config's) then says not ready while Kafka is away. The clients' hooks
// (on their own goroutines) and the loop both report to it.
type kafkaHealth struct {
	host   component.Host
	logger *zap.Logger
	clock  clockwork.Clock

	mu       sync.Mutex
	failures int
	warned   time.Time
	said     bool // this outage was logged
}

// failed counts a failure to reach Kafka. The first of an outage turns the
// status to a recoverable error; msg is logged at most once every
// healthWarnEvery.
func (h *kafkaHealth) failed(msg string, err error, fields ...zap.Field) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures++
	if h.failures == 1 {
		componentstatus.ReportStatus(h.host, componentstatus.NewRecoverableErrorEvent(err))
	}
	now := h.clock.Now()
	if !h.warned.IsZero() && now.Sub(h.warned) < healthWarnEvery {
		return
	}
	h.warned, h.said = now, true
	h.logger.Warn(msg, append(fields, zap.Int("failures", h.failures), zap.Error(err))...)
}

// reached ends an outage: the status is OK again.
func (h *kafkaHealth) reached() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures == 0 {
		return
	}
	if h.said {
		h.logger.Info("Kafka reached", zap.Int("failures", h.failures))
	}
	componentstatus.ReportStatus(h.host, componentstatus.NewEvent(componentstatus.StatusOK))
	h.failures, h.said = 0, false
}

// healthHooks tell the health what the Kafka clients see: a failed dial is
// a failure, any answer read from a broker ends an outage.
type healthHooks struct{ health *kafkaHealth }

var (
	_ kgo.HookBrokerConnect = healthHooks{}
	_ kgo.HookBrokerRead    = healthHooks{}
)

func (k healthHooks) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	if err != nil {
		k.health.failed("Kafka cannot be reached; nothing is consumed until it can", err,
			zap.String("broker", net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port)))))
	}
}

func (k healthHooks) OnBrokerRead(_ kgo.BrokerMetadata, _ int16, _ int, _, _ time.Duration, err error) {
	if err == nil {
		k.health.reached()
	}
}
