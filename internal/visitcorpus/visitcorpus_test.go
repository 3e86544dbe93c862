// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package visitcorpus

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

func TestTheCorpusSendsSomeEventsOutOfOrderAndCountsEachOnce(t *testing.T) {
	c := New(60, "events", 4)
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
