// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package visitcorpus

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

func TestTheCorpusSendsSomeEventsOutOfOrderAndCountsEachOnce(t *testing.T) {
	for name, c := range map[string]Corpus{"New": New(60, "events", 4), "NewArriving": NewArriving(60, 3*time.Hour, "events", 4)} {
		t.Run(name, func(t *testing.T) { assertCountedOnce(t, c) })
	}
}

// The visitors of NewArriving come over the whole span, the last page
// view after every visit has ended.
func TestArrivingVisitorsComeOverTheSpan(t *testing.T) {
	c := NewArriving(60, 3*time.Hour, "events", 4)
	var first, last, closer time.Time
	for _, rec := range c.Records {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(rec.Value)
		assert.NoError(t, err)
		at := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Timestamp().AsTime()
		if strings.HasPrefix(string(rec.Key), "closer-") {
			closer = at
			continue
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	assert.GreaterOrEqual(t, last.Sub(first), 3*time.Hour, "visits start over three hours")
	assert.Greater(t, closer.Sub(last), 30*time.Minute, "the last page view comes after every session's inactivity timeout")
}

func assertCountedOnce(t *testing.T, c Corpus) {
	ids := map[string]bool{}
	pageViews := 0
	outOfOrder := 0
	last := map[string]int64{} // visitor -> newest event time sent
	for _, rec := range c.Records {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(rec.Value)
		assert.NoError(t, err)
		lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		id, _ := lr.Attributes().Get(schema.AttrEventID)
		if lr.EventName() == schema.EventPageView && !ids[id.Str()] {
			pageViews++
		}
		ids[id.Str()] = true
		at := int64(lr.Timestamp())
		if at < last[string(rec.Key)] {
			outOfOrder++
		}
		last[string(rec.Key)] = max(last[string(rec.Key)], at)
	}
	assert.Equal(t, c.Truth["footfall.page_views"], float64(pageViews))
	assert.Positive(t, outOfOrder, "some events are sent after a later one of the same visitor")
	assert.Greater(t, len(c.Records), len(ids), "some records are sent twice")
}
