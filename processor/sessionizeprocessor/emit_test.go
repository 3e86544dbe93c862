// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// A session.start and a session.end with every attribute they can carry
// take exactly sessionStartAttrs and sessionEndAttrs: their attributes are
// sized once, and a new attribute must be counted there.
func TestSyntheticRecordsAreSizedOnce(t *testing.T) {
	start := plog.NewLogRecord()
	syntheticRecord(start).sessionStart(&session.Assignment{SessionID: "s2", PreviousID: "s1", Returning: true, Bot: "rate"}, 1)
	assert.Equal(t, sessionStartAttrs, start.Attributes().Len())

	end := plog.NewLogRecord()
	syntheticRecord(end).sessionEnd(&session.Ending{Reason: session.EndIdle, Session: session.Summary{
		ID: "s2", Start: t0, End: t0.Add(time.Minute), PageViews: 2, Events: 3, Returning: true,
		EntryPage: "/", ExitPage: "/pricing",
		Attribution: session.Attribution{ReferrerClass: "search", ReferrerSource: "Google", UTMSource: "news", UTMMedium: "email", UTMCampaign: "launch"},
		Country:     "DE", Device: "desktop", Goals: []string{"signup"}, Revenue: []session.Money{{Currency: "EUR", Value: 9}}, Bot: "rate",
	}})
	assert.Equal(t, sessionEndAttrs, end.Attributes().Len())
}
