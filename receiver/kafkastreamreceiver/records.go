// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// Why a record of the events topic is skipped: each is a record that can
// never be processed, so it is counted and its offset committed, never
// retried.
const (
	skipUndecodable   = "undecodable"
	skipTooLarge      = "too_large"
	skipTooManyEvents = "too_many_events"
	skipReserved      = "reserved"
	skipRefused       = "refused"
)

var recordUnmarshaler = &plog.ProtoUnmarshaler{}

// decodeRecord reads one record of the events topic, or says why it is
// skipped. The topic's records are bytes from outside this collector (the
// gateways write them, and so could anyone who can reach the brokers), so
// they are checked as the intake checks a request: in bytes and events
// before they reach a sessionizer, and for the names only the sessionizer
// may give, which would otherwise be counted as its own sessions.
func (r *kafkaStream) decodeRecord(rec *kgo.Record) (plog.Logs, string) {
	if len(rec.Value) > r.cfg.MaxRecordBytes {
		return plog.Logs{}, skipTooLarge
	}
	ld, err := recordUnmarshaler.UnmarshalLogs(rec.Value)
	if err != nil {
		return plog.Logs{}, skipUndecodable
	}
	if ld.LogRecordCount() > r.cfg.MaxEventsPerRecord {
		return plog.Logs{}, skipTooManyEvents
	}
	if hasReservedName(ld) {
		return plog.Logs{}, skipReserved
	}
	return ld, ""
}

// hasReservedName reports whether ld poses as the sessionizer: its scope, or
// an event name only the sessionizer makes.
func hasReservedName(ld plog.Logs) bool {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			if schema.IsReservedScope(sl.Scope().Name()) {
				return true
			}
			for _, lr := range sl.LogRecords().All() {
				if schema.IsReservedEventName(lr.EventName()) || schema.IsReservedEventName(attr.Str(lr.Attributes(), schema.AttrEventNameLegacy)) {
					return true
				}
			}
		}
	}
	return false
}
