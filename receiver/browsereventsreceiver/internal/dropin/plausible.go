// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// PlausibleScope is the instrumentation scope of the events read from the
// Plausible Events API.
const PlausibleScope = "footfall/plausible"

// plausibleEvent is one Plausible Events API request: the long field names
// of the documented API, and the short ones the tracker script sends.
type plausibleEvent struct {
	Name        string          `json:"name"`
	N           string          `json:"n"`
	URL         string          `json:"url"`
	U           string          `json:"u"`
	Domain      string          `json:"domain"`
	D           string          `json:"d"`
	Referrer    *string         `json:"referrer"`
	R           *string         `json:"r"`
	Props       json.RawMessage `json:"props"`
	P           json.RawMessage `json:"p"`
	Revenue     json.RawMessage `json:"revenue"`
	Dollar      json.RawMessage `json:"$"`
	Interactive *bool           `json:"interactive"`
	I           *bool           `json:"i"`
	// Engagement events: scroll depth (percent) and engaged time (ms).
	ScrollDepth *float64 `json:"sd"`
	EngagedMs   *float64 `json:"e"`
}

// Plausible's own event names, and the events they become.
const (
	plausiblePageView   = "pageview"
	plausibleEngagement = "engagement"
	plausibleOutbound   = "Outbound Link: Click"
	plausibleDownload   = "File Download"
)

// DecodePlausible reads one Plausible Events API request body (JSON, sent
// as text/plain by the tracker).
// It carries one event, so no item limit can refuse it; the receiver bounds
// its body instead (plausibleMaxBodyBytes).
func DecodePlausible(body []byte, _ int) (Decoded, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Decoded{}, errEmptyBody
	}
	var e plausibleEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return Decoded{}, fmt.Errorf("the body is not a Plausible event: %w", plainJSONError(err))
	}
	if dec.More() {
		return Decoded{}, errors.New("the body holds more than one JSON value")
	}
	name, url, domain := first(e.Name, e.N), first(e.URL, e.U), first(e.Domain, e.D)
	switch {
	case name == "":
		return Decoded{}, errors.New(`"name" is required`)
	case url == "":
		return Decoded{}, errors.New(`"url" is required`)
	case domain == "":
		return Decoded{}, errors.New(`"domain" is required`)
	}
	logs := plog.NewLogs()
	sl := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(PlausibleScope)
	lr := sl.LogRecords().AppendEmpty()
	attrs := lr.Attributes()
	attrs.PutStr(schema.AttrURLFull, url)
	if err := plausibleFields(lr, name, e); err != nil {
		return Decoded{}, err
	}
	// A rollup sends "a.example,b.example": the first names the site.
	site, _, _ := strings.Cut(domain, ",")
	return Decoded{Logs: logs, SiteName: strings.TrimSpace(site), Items: 1}, nil
}

func plausibleFields(lr plog.LogRecord, name string, e plausibleEvent) error {
	attrs := lr.Attributes()
	props, err := plausibleProps(first(string(e.Props), string(e.P)))
	if err != nil {
		return err
	}
	switch name {
	case plausiblePageView:
		lr.SetEventName(schema.EventPageView)
		if ref := firstPtr(e.Referrer, e.R); ref != "" {
			attrs.PutStr(schema.AttrReferrer, ref)
		}
	case plausibleEngagement:
		lr.SetEventName(schema.EventEngagement)
		if e.EngagedMs != nil {
			attrs.PutDouble(schema.AttrEngagementTimeMs, *e.EngagedMs)
		}
		if e.ScrollDepth != nil {
			attrs.PutDouble(schema.AttrEngagementScrollDepth, *e.ScrollDepth)
		}
	case plausibleOutbound, plausibleDownload:
		lr.SetEventName(schema.EventClick)
		attrs.PutStr(schema.AttrClickElement, map[string]string{plausibleOutbound: "outbound", plausibleDownload: "download"}[name])
		if link, ok := props["url"]; ok {
			attrs.PutStr(schema.AttrLinkURL, link)
			delete(props, "url")
		}
	default:
		lr.SetEventName(name)
	}
	if interactive := cmp.Or(e.Interactive, e.I); interactive != nil && !*interactive {
		attrs.PutBool(schema.AttrEventInteractive, false)
	}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		attrs.PutStr(k, props[k])
	}
	return plausibleRevenue(attrs, first(string(e.Revenue), string(e.Dollar)))
}

// plausibleProps reads custom properties: an object, or (older scripts) a
// string holding one. Values are kept as strings, as Plausible keeps them.
func plausibleProps(raw string) (map[string]string, error) {
	if raw == "" || raw == "null" {
		return map[string]string{}, nil
	}
	if strings.HasPrefix(raw, `"`) {
		var inner string
		if err := json.Unmarshal([]byte(raw), &inner); err != nil {
			return nil, errors.New(`"props" must be an object`)
		}
		raw = inner
	}
	var values map[string]any
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&values); err != nil || values == nil {
		return nil, errors.New(`"props" must be an object`)
	}
	props := make(map[string]string, len(values))
	for k, v := range values {
		if reservedProperty(k) {
			return nil, fmt.Errorf("property %q is reserved: it names an attribute of the Footfall schema", k)
		}
		switch v := v.(type) {
		case string:
			props[k] = v
		case json.Number:
			props[k] = v.String()
		case bool:
			props[k] = strconv.FormatBool(v)
		case nil:
		default:
			return nil, fmt.Errorf("property %q must be a string, number or boolean", k)
		}
	}
	return props, nil
}

// plausibleRevenue reads {"amount": 10.5 or "10.5", "currency": "EUR"}.
func plausibleRevenue(attrs pcommon.Map, raw string) error {
	if raw == "" || raw == "null" {
		return nil
	}
	var revenue struct {
		Amount   json.RawMessage `json:"amount"`
		Currency string          `json:"currency"`
	}
	if err := json.Unmarshal([]byte(raw), &revenue); err != nil {
		return errors.New(`"revenue" must be an object with "amount" and "currency"`)
	}
	amount := strings.Trim(string(revenue.Amount), `"`)
	value, err := strconv.ParseFloat(amount, 64)
	if err != nil || revenue.Currency == "" {
		return errors.New(`"revenue" needs a numeric "amount" and a "currency"`)
	}
	attrs.PutDouble(schema.AttrGoalValue, value)
	attrs.PutStr(schema.AttrGoalCurrency, revenue.Currency)
	return nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstPtr(a, b *string) string {
	switch {
	case a != nil:
		return *a
	case b != nil:
		return *b
	}
	return ""
}

// plainJSONError keeps a decoding error's message short and free of the
// body's bytes.
func plainJSONError(err error) error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Errorf("invalid JSON at byte %d", syntax.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("field %q has the wrong type", typ.Field)
	}
	return errors.New("invalid JSON")
}
