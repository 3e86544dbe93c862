// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package visitcorpus scripts visits to one site as the records a gateway
// writes to the events topic, with the numbers they must give: the ground
// truth of the processing tier's tests, in process and end to end.
package visitcorpus // import "github.com/footfall-analytics/footfall/internal/visitcorpus"

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// Site is the site every visit is to.
const Site = "shop"

// Goal is the event counted as a conversion; the collectors under test must
// have it in their goals.
const Goal = "signup"

// base is a Friday morning, far from midnight: no session is split by it.
var base = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// Metric is one number the corpus gives, by its OpenTelemetry and its
// Prometheus name, and the one label value that selects it (as name and
// value), if any.
type Metric struct{ OTel, Prometheus, LabelName, LabelValue string }

// Counted are the metrics the ground truth gives. Visitors are counted
// today: every visit is on one day.
var Counted = []Metric{
	{OTel: "footfall.page_views", Prometheus: "footfall_page_views_total"},
	{OTel: "footfall.sessions", Prometheus: "footfall_sessions_total"},
	{OTel: "footfall.bounces", Prometheus: "footfall_bounces_total"},
	{OTel: "footfall.goal.conversions", Prometheus: "footfall_goal_conversions_total"},
	{OTel: "footfall.visitors", Prometheus: "footfall_visitors", LabelName: "window", LabelValue: "today"},
}

// Corpus is a scripted stream of visits and what it must count, by
// OpenTelemetry metric name.
type Corpus struct {
	Records []*kgo.Record
	Truth   map[string]float64
}

type visitEvent struct {
	visitor, id, name, path string
	at                      time.Time
	// before is the id of an earlier event of the same visit that this one
	// is sent before (out of order, within the allowed lateness).
	before string
}

// New scripts visitors to topic's partitions, each visitor in one: each has
// one to three visits 45 minutes apart (longer than the 30-minute inactivity
// timeout), of one to four page views a minute apart; every sixth visitor's
// second page view comes 400 ms after the first and is sent before it (out
// of order within the allowed lateness); every fifth visitor signs up in its
// first visit; every seventh record is sent twice (a
// gateway's retry). A last page view per partition, hours later, moves every
// partition's watermark past all visits so that they end and their bounces
// count; its visitor counts too.
func New(visitors int, topic string, partitions int32) Corpus {
	return build(visitors, topic, partitions, func(v int) time.Time { return base.Add(time.Duration(v%20) * time.Minute) })
}

// NewArriving scripts the visits of New, the visitors' first visits spread
// evenly over arrivals (at most 3½ hours, so that the last visits and
// their inactivity timeout end before the last page view, 6 hours on)
// rather than within 20 minutes: a stream whose open
// sessions level off once the first visitors' last visits end, as a site's
// do, rather than rising and falling once.
func NewArriving(visitors int, arrivals time.Duration, topic string, partitions int32) Corpus {
	arrivals = min(arrivals, 3*time.Hour+30*time.Minute)
	return build(visitors, topic, partitions, func(v int) time.Time {
		return base.Add(time.Duration(int64(arrivals) * int64(v) / int64(max(visitors, 1))))
	})
}

func build(visitors int, topic string, partitions int32, startOf func(v int) time.Time) Corpus {
	truth := map[string]float64{"footfall.visitors": float64(visitors) + float64(partitions)}
	var events []visitEvent
	for v := range visitors {
		visitor := fmt.Sprintf("visitor-%03d", v)
		start := startOf(v)
		for s := range 1 + v%3 {
			at := start.Add(time.Duration(s) * 45 * time.Minute)
			pages := 1 + (v+s)%4
			for k := range pages {
				e := visitEvent{visitor: visitor, id: fmt.Sprintf("%s-%d-%d", visitor, s, k), name: schema.EventPageView, path: fmt.Sprintf("/p%d", k), at: at.Add(time.Duration(k) * time.Minute)}
				if k == 1 && v%6 == 1 {
					// A second tab's page view 400 ms after the first, sent
					// before it.
					e.at, e.before = at.Add(400*time.Millisecond), fmt.Sprintf("%s-%d-0", visitor, s)
				}
				events = append(events, e)
			}
			signup := v%5 == 0 && s == 0
			if signup {
				events = append(events, visitEvent{visitor: visitor, id: visitor + "-signup", name: Goal, at: at.Add(time.Duration(pages) * time.Minute)})
				truth["footfall.goal.conversions"]++
			}
			truth["footfall.page_views"] += float64(pages)
			truth["footfall.sessions"]++
			if pages == 1 && !signup {
				truth["footfall.bounces"]++
			}
		}
	}
	slices.SortStableFunc(events, func(a, b visitEvent) int { return a.at.Compare(b.at) })
	sendOutOfOrder(events)
	var records []*kgo.Record
	for i, e := range events {
		rec := recordOf(topic, e, partitionOf(e.visitor, partitions))
		records = append(records, rec)
		if i%7 == 0 {
			records = append(records, recordOf(topic, e, partitionOf(e.visitor, partitions)))
		}
	}
	for p := range partitions {
		e := visitEvent{visitor: fmt.Sprintf("closer-%d", p), id: fmt.Sprintf("closer-%d", p), name: schema.EventPageView, path: "/", at: base.Add(6 * time.Hour)}
		records = append(records, recordOf(topic, e, p))
		truth["footfall.page_views"]++
		truth["footfall.sessions"]++
	}
	return Corpus{Records: records, Truth: truth}
}

// sendOutOfOrder moves each event marked before just ahead of the event it
// names.
func sendOutOfOrder(events []visitEvent) {
	at := map[string]int{}
	for i, e := range events {
		at[e.id] = i
	}
	for i, e := range events {
		if e.before == "" {
			continue
		}
		j := at[e.before]
		// Move events[i] to position j, shifting j..i-1 one on.
		copy(events[j+1:i+1], events[j:i])
		events[j] = e
		for k := j; k <= i; k++ {
			at[events[k].id] = k
		}
	}
}

func partitionOf(visitor string, partitions int32) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(visitor))
	return int32(h.Sum32() % uint32(partitions))
}

// recordOf is the record a gateway writes: the event as OTLP protobuf logs,
// one resource per visitor, received when it happened.
func recordOf(topic string, e visitEvent, partition int32) *kgo.Record {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, Site)
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, e.visitor)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(e.name)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(e.at))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(e.at))
	lr.Attributes().PutStr(schema.AttrEventID, e.id)
	if e.path != "" {
		lr.Attributes().PutStr(schema.AttrURLPath, e.path)
	}
	value, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		panic(err) // marshalling logs built here cannot fail
	}
	return &kgo.Record{Topic: topic, Partition: partition, Key: []byte(e.visitor), Value: value}
}

// Lag is how many records of topic group has not committed yet, over all
// partitions: 0 once the group has processed the whole corpus.
func Lag(ctx context.Context, brokers, topic, group string) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	admin := kadm.NewClient(cl)
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, err
	}
	committed, err := admin.FetchOffsets(ctx, group)
	if err != nil {
		return 0, err
	}
	lag := int64(0)
	ends.Each(func(o kadm.ListedOffset) {
		c, _ := committed.Lookup(topic, o.Partition)
		lag += o.Offset - max(0, c.At)
	})
	return lag, nil
}
