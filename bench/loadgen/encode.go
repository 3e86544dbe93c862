// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package loadgen // import "github.com/footfall-analytics/footfall/bench/loadgen"

import (
	"strconv"
	"time"
)

// pending is an event on its way, with the visit it belongs to.
type pending struct {
	visit *liveVisit
	event Event
	id    string
}

// appendBody writes the OTLP/HTTP JSON request for events (all of one site):
// one resource per run of events of the same visitor, as footfall.js does for
// its single visitor. Visitors are named by footfall.anonymous_id, so that a
// request may carry several (the bench site uses visitor_id: client).
func appendBody(b []byte, site, origin string, events []pending, now time.Time) []byte {
	ts := strconv.FormatInt(now.UnixNano(), 10)
	b = append(b, `{"resourceLogs":[`...)
	for i := 0; i < len(events); {
		j := i
		for j < len(events) && events[j].visit == events[i].visit {
			j++
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"resource":{"attributes":[`...)
		b = appendAttr(b, "footfall.site.id", site, false)
		b = append(b, `]},"scopeLogs":[{"scope":{"name":"footfall-loadgen"},"logRecords":[`...)
		for k := i; k < j; k++ {
			if k > i {
				b = append(b, ',')
			}
			b = appendRecord(b, events[k], origin, ts)
		}
		b = append(b, `]}]}`...)
		i = j
	}
	return append(b, `]}`...)
}

func appendRecord(b []byte, p pending, origin, ts string) []byte {
	e := p.event
	b = append(b, `{"timeUnixNano":"`...)
	b = append(b, ts...)
	b = append(b, `","eventName":"`...)
	b = append(b, e.Name...)
	b = append(b, `","attributes":[`...)
	b = appendAttr(b, "log.record.uid", p.id, false)
	b = appendAttr(b, "footfall.anonymous_id", p.visit.Visitor, true)
	url := origin + e.Path
	if e.Query != "" {
		url += "?" + e.Query
	}
	b = appendAttr(b, "url.full", url, true)
	switch {
	case e.Referrer != "":
		ref := e.Referrer
		if len(ref) > len("internal:") && ref[:len("internal:")] == "internal:" {
			ref = origin + ref[len("internal:"):]
		}
		b = appendAttr(b, "footfall.referrer", ref, true)
	case e.Element != "":
		b = appendAttr(b, "footfall.click.element", e.Element, true)
		b = appendAttr(b, "footfall.link.url", "https://elsewhere.example/", true)
	case e.EngagedMs > 0:
		b = append(b, `,{"key":"footfall.engagement.time_ms","value":{"intValue":"`...)
		b = strconv.AppendInt(b, int64(e.EngagedMs), 10)
		b = append(b, `"}}`...)
	}
	return append(b, `]}`...)
}

// appendAttr writes a string attribute. Values here never need escaping:
// they come from the fixed tables of traffic.go and generated ids.
func appendAttr(b []byte, key, value string, comma bool) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, `{"key":"`...)
	b = append(b, key...)
	b = append(b, `","value":{"stringValue":"`...)
	b = append(b, value...)
	return append(b, `"}}`...)
}
