// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/jsoncount"
)

// FaroScope is the instrumentation scope of the events read from the Faro
// Web SDK.
const FaroScope = "footfall/faro"

// faroPayload is the body the Faro Web SDK's fetch transport posts. Meta
// repeats in every request; user meta (an id, an e-mail address) is
// personal data and is not read at all.
type faroPayload struct {
	Meta         faroMeta
	Events       []faroEvent
	Measurements []faroMeasurement
	Logs         []faroLog
	Exceptions   []faroException
	Traces       json.RawMessage
}

type faroMeta struct {
	App struct {
		Name string `json:"name"`
	} `json:"app"`
	Session struct {
		ID string `json:"id"`
	} `json:"session"`
	Page struct {
		URL        string            `json:"url"`
		Attributes map[string]string `json:"attributes"`
	} `json:"page"`
}

// faroWire is the body as it comes: the item lists are decoded one item at
// a time afterwards, so that decoding stops at the request's item limit
// instead of building every item of a small compressed body first.
type faroWire struct {
	Meta         faroMeta        `json:"meta"`
	Events       json.RawMessage `json:"events"`
	Measurements json.RawMessage `json:"measurements"`
	Logs         json.RawMessage `json:"logs"`
	Exceptions   json.RawMessage `json:"exceptions"`
	Traces       json.RawMessage `json:"traces"`
}

type faroLog struct {
	Level string `json:"level"`
}

type faroException struct {
	Type string `json:"type"`
}

type faroEvent struct {
	Name       string            `json:"name"`
	Domain     string            `json:"domain"`
	Attributes map[string]string `json:"attributes"`
	Timestamp  string            `json:"timestamp"`
}

type faroMeasurement struct {
	Type      string             `json:"type"`
	Values    map[string]float64 `json:"values"`
	Timestamp string             `json:"timestamp"`
}

// faroOwnEvents are the events the Faro SDK sends about itself: counted as
// signals, not forwarded as custom events.
var faroOwnEvents = map[string]bool{
	"session_start": true, "session_resume": true, "session_extend": true, "view_changed": true,
	"route_change": true, "user_action": true,
}

// faroVitals maps the web-vitals measurement values to the names of
// footfall.web_vital.name; other values of the measurement (delta, the
// breakdowns) are not vitals.
var faroVitals = map[string]string{"lcp": "LCP", "inp": "INP", "cls": "CLS", "fcp": "FCP", "ttfb": "TTFB"}

// Bounded label values of the signals metric.
var (
	faroLogLevels     = map[string]bool{"trace": true, "debug": true, "info": true, "log": true, "warn": true, "error": true}
	faroExceptionType = map[string]bool{
		"Error": true, "TypeError": true, "ReferenceError": true, "SyntaxError": true, "RangeError": true,
		"URIError": true, "EvalError": true, "AggregateError": true, "DOMException": true, "UnhandledRejection": true,
	}
)

// DecodeFaro reads one Faro Web SDK request body (JSON) of at most
// maxItems items (events, measurements, logs, exceptions and the page view).
func DecodeFaro(body []byte, maxItems int) (Decoded, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Decoded{}, errEmptyBody
	}
	// Counted before anything is decoded, and again item by item.
	if jsoncount.MoreThan(body, maxItems-1, true, "events", "measurements", "logs", "exceptions") {
		return Decoded{}, &TooManyEventsError{Limit: maxItems}
	}
	var wire faroWire
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&wire); err != nil {
		return Decoded{}, fmt.Errorf("the body is not a Faro payload: %w", plainJSONError(err))
	}
	if dec.More() {
		return Decoded{}, errors.New("the body holds more than one JSON value")
	}
	p, err := wire.payload(maxItems)
	if err != nil {
		return Decoded{}, err
	}
	d := Decoded{Logs: plog.NewLogs(), SiteName: p.Meta.App.Name, Items: p.items()}
	sl := d.Logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(FaroScope)
	mapFaro(p, sl.LogRecords(), &d)
	return d, nil
}

// payload decodes the item lists, at most maxItems items in all (the page
// view included).
func (w *faroWire) payload(maxItems int) (*faroPayload, error) {
	p := &faroPayload{Meta: w.Meta, Traces: w.Traces}
	budget := maxItems - 1 // the page view
	var err error
	if p.Events, err = decodeItems[faroEvent](w.Events, "events", &budget); err != nil {
		return nil, orTooMany(err, maxItems)
	}
	if p.Measurements, err = decodeItems[faroMeasurement](w.Measurements, "measurements", &budget); err != nil {
		return nil, orTooMany(err, maxItems)
	}
	if p.Logs, err = decodeItems[faroLog](w.Logs, "logs", &budget); err != nil {
		return nil, orTooMany(err, maxItems)
	}
	if p.Exceptions, err = decodeItems[faroException](w.Exceptions, "exceptions", &budget); err != nil {
		return nil, orTooMany(err, maxItems)
	}
	return p, nil
}

// errOverBudget stops decodeItems at the item limit.
var errOverBudget = errors.New("over the item budget")

func orTooMany(err error, limit int) error {
	if errors.Is(err, errOverBudget) {
		return &TooManyEventsError{Limit: limit}
	}
	return err
}

// decodeItems decodes a JSON array (or null) one item at a time, taking
// each from budget, and stops with errOverBudget when it runs out.
func decodeItems[T any](raw json.RawMessage, field string, budget *int) ([]T, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("the body is not a Faro payload: field %q has the wrong type", field)
	}
	var items []T
	for dec.More() {
		if *budget <= 0 {
			return nil, errOverBudget
		}
		*budget--
		var item T
		if err := dec.Decode(&item); err != nil {
			return nil, fmt.Errorf("the body is not a Faro payload: %w", plainJSONError(err))
		}
		items = append(items, item)
	}
	return items, nil
}

// items counts what mapping the payload will read, the page view included.
func (p *faroPayload) items() int {
	return 1 + len(p.Events) + len(p.Measurements) + len(p.Logs) + len(p.Exceptions)
}

// mapFaro appends the events of one Faro payload to records, and counts in
// d what it does not keep.
func mapFaro(p *faroPayload, records plog.LogRecordSlice, d *Decoded) {
	f := faroRequest{payload: p, records: records, decoded: d}
	f.pageView()
	for i := range p.Events {
		f.event(i, p.Events[i])
	}
	for i := range p.Measurements {
		f.measurement(i, p.Measurements[i])
	}
	for _, l := range p.Logs {
		d.signal("log", bounded(strings.ToLower(l.Level), faroLogLevels))
	}
	for _, e := range p.Exceptions {
		d.signal("exception", bounded(e.Type, faroExceptionType))
	}
	if len(p.Traces) > 0 && string(p.Traces) != "null" {
		d.signal("traces", "otlp")
	}
}

type faroRequest struct {
	payload *faroPayload
	records plog.LogRecordSlice
	decoded *Decoded
}

// pageView derives the request's page view. Faro sends no event when a
// page is shown (a single-page app's route change sends none at all), but
// every request names the page it was sent from. Its id depends only on
// the session and the URL, so the many requests of one page view give one
// page view: a page is counted once per Faro session (docs/ingest.md).
func (f *faroRequest) pageView() {
	meta := f.payload.Meta
	if meta.Page.URL == "" || meta.Session.ID == "" {
		return // without a session every request would count anew
	}
	lr := f.newRecord(schema.EventPageView, f.earliest())
	attrs := lr.Attributes()
	attrs.PutStr(schema.AttrEventID, derivedID(FormatFaro, meta.Session.ID, "page", meta.Page.URL))
	if ref := meta.Page.Attributes["referrer"]; ref != "" {
		attrs.PutStr(schema.AttrReferrer, ref)
	}
}

// earliest is the time of the request's first item: the page was shown by
// then. Zero (the receive time) when no item has a time.
func (f *faroRequest) earliest() time.Time {
	var at time.Time
	consider := func(ts string) {
		if t, err := time.Parse(time.RFC3339Nano, ts); err == nil && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	for _, e := range f.payload.Events {
		consider(e.Timestamp)
	}
	for _, m := range f.payload.Measurements {
		consider(m.Timestamp)
	}
	return at
}

func (f *faroRequest) event(index int, e faroEvent) {
	if faroOwnEvents[e.Name] || strings.HasPrefix(e.Name, "faro.") {
		f.decoded.signal("event", bounded(e.Name, faroOwnEvents, "faro"))
		return
	}
	if e.Name == "" {
		f.decoded.reject("events[%d]: the event has no name", index)
		return
	}
	for k := range e.Attributes {
		if reservedProperty(k) && k != schema.AttrGoalValue && k != schema.AttrGoalCurrency {
			f.decoded.reject("events[%d]: attribute %q is reserved: it names an attribute of the Footfall schema", index, k)
			return
		}
	}
	at, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
	lr := f.newRecord(e.Name, at)
	attrs := lr.Attributes()
	f.putDerivedID(attrs, "event", e.Name, e.Timestamp, canonical(e.Attributes))
	for _, k := range slices.Sorted(maps.Keys(e.Attributes)) {
		v := e.Attributes[k]
		if k == schema.AttrGoalValue {
			if value, err := strconv.ParseFloat(v, 64); err == nil {
				attrs.PutDouble(k, value)
				continue
			}
		}
		attrs.PutStr(k, v)
	}
}

// measurement turns the web vitals of a web-vitals measurement into
// browser.web_vital events; other measurements are counted.
func (f *faroRequest) measurement(index int, m faroMeasurement) {
	if m.Type != "web-vitals" {
		f.decoded.signal("measurement", bounded(m.Type, map[string]bool{}))
		return
	}
	at, _ := time.Parse(time.RFC3339Nano, m.Timestamp)
	for _, key := range slices.Sorted(maps.Keys(m.Values)) {
		value := m.Values[key]
		name, ok := faroVitals[key]
		if !ok {
			continue
		}
		if math.IsNaN(value) || math.IsInf(value, 0) || value < 0 {
			f.decoded.reject("measurements[%d]: %s must be a finite number, not negative", index, key)
			continue
		}
		lr := f.newRecord(schema.EventWebVital, at)
		attrs := lr.Attributes()
		f.putDerivedID(attrs, "vital", name, m.Timestamp)
		attrs.PutStr(schema.AttrWebVitalName, name)
		attrs.PutDouble(schema.AttrWebVitalValue, value)
	}
}

// putDerivedID gives an event an id derived from its session and content,
// so that a retried request is deduplicated. Without a session id the
// content alone would give two visitors' identical events one id (one would
// be dropped), and anyone who guessed an event's content could suppress
// it: such an event gets no id here, so the receiver gives it a random one,
// and a retry of it counts again (docs/ingest.md).
func (f *faroRequest) putDerivedID(attrs pcommon.Map, parts ...string) {
	session := f.payload.Meta.Session.ID
	if session == "" {
		return
	}
	attrs.PutStr(schema.AttrEventID, derivedID(FormatFaro, append([]string{session}, parts...)...))
}

// newRecord adds an event with what every Faro event carries: the page and
// the client's session.
func (f *faroRequest) newRecord(name string, at time.Time) plog.LogRecord {
	lr := f.records.AppendEmpty()
	lr.SetEventName(name)
	if !at.IsZero() {
		lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
	}
	attrs := lr.Attributes()
	if url := f.payload.Meta.Page.URL; url != "" {
		attrs.PutStr(schema.AttrURLFull, url)
	}
	if id := f.payload.Meta.Session.ID; id != "" {
		attrs.PutStr(schema.AttrSessionID, id)
	}
	return lr
}

// canonical writes attributes in key order, so that equal maps give equal ids.
func canonical(attrs map[string]string) string {
	b, _ := json.Marshal(attrs) // encoding/json sorts map keys
	return string(b)
}

// bounded returns value when known lists it, else "other": a metric label
// must come from a closed set, and these come from the client.
func bounded(value string, known map[string]bool, prefixes ...string) string {
	if known[value] {
		return value
	}
	for _, p := range prefixes {
		if strings.HasPrefix(value, p+".") {
			return p
		}
	}
	return "other"
}
