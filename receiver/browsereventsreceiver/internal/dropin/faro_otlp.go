// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dropin // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// FaroOTLPScope is the instrumentation scope of the log records of Faro's
// experimental OTLP transport (@grafana/faro-transport-otlp-http).
const FaroOTLPScope = "@grafana/faro-web-sdk"

// The attributes Faro's OTLP transport writes on its log records.
const (
	faroOTLPEventName       = "event.name"
	faroOTLPEventDomain     = "event.domain"
	faroOTLPEventAttributes = "event.attributes"
	faroOTLPPageAttributes  = "page.attributes"
	faroOTLPMeasurementType = "measurement.type"
	faroOTLPMeasurementName = "measurement.name"
	faroOTLPMeasurementVal  = "measurement.value"
	faroOTLPExceptionType   = "exception.type"
)

// MapOTLP maps what browser SDKs send over OTLP to the schema's events. It
// replaces the log records of Faro's OTLP transport with the events
// DecodeFaro makes of the same items: the transport writes every item of
// Faro's payload as a log record with its meta as attributes (the user's id
// and e-mail address among them), which /v1/logs would otherwise keep as
// properties or refuse for want of an event name. Of other scopes, it maps
// the OpenTelemetry JS browser instrumentations' navigations
// (otelbrowser.go) and leaves the rest as it is.
func MapOTLP(logs plog.Logs) Decoded {
	d := Decoded{Logs: logs, Items: logs.LogRecordCount()}
	for _, rl := range logs.ResourceLogs().All() {
		scopes := rl.ScopeLogs()
		for i := range scopes.Len() {
			sl := scopes.At(i)
			if sl.Scope().Name() != FaroOTLPScope {
				for _, lr := range sl.LogRecords().All() {
					mapOpenTelemetryBrowser(lr)
				}
				continue
			}
			payloads := faroPayloadsOf(sl.LogRecords())
			mapped := plog.NewLogRecordSlice()
			for _, p := range payloads {
				mapFaro(p, mapped, &d)
			}
			sl.Scope().SetName(FaroScope)
			originals := sl.LogRecords().Len()
			mapped.MoveAndAppendTo(sl.LogRecords())
			seen := 0
			sl.LogRecords().RemoveIf(func(plog.LogRecord) bool { seen++; return seen <= originals })
		}
	}
	return d
}

// faroPayloadsOf groups the records by page and session (the meta of the
// request that would have carried them) and rebuilds Faro's items.
func faroPayloadsOf(records plog.LogRecordSlice) []*faroPayload {
	byPage := map[[2]string]*faroPayload{}
	var order []*faroPayload
	for _, lr := range records.All() {
		attrs := lr.Attributes()
		key := [2]string{attr.Str(attrs, schema.AttrSessionID), attr.Str(attrs, schema.AttrURLFull)}
		p, ok := byPage[key]
		if !ok {
			p = &faroPayload{}
			p.Meta.Session.ID, p.Meta.Page.URL = key[0], key[1]
			if v, ok := attrs.Get(faroOTLPPageAttributes); ok && v.Type() == pcommon.ValueTypeMap {
				p.Meta.Page.Attributes = stringMap(v.Map())
			}
			byPage[key] = p
			order = append(order, p)
		}
		addFaroItem(p, lr)
	}
	return order
}

func addFaroItem(p *faroPayload, lr plog.LogRecord) {
	attrs := lr.Attributes()
	timestamp := ""
	if lr.Timestamp() != 0 {
		timestamp = lr.Timestamp().AsTime().UTC().Format(time.RFC3339Nano)
	}
	switch {
	case attr.Str(attrs, faroOTLPEventName) != "":
		e := faroEvent{Name: attr.Str(attrs, faroOTLPEventName), Domain: attr.Str(attrs, faroOTLPEventDomain), Timestamp: timestamp}
		if v, ok := attrs.Get(faroOTLPEventAttributes); ok && v.Type() == pcommon.ValueTypeMap {
			e.Attributes = stringMap(v.Map())
		}
		p.Events = append(p.Events, e)
	case attr.Str(attrs, faroOTLPMeasurementType) != "":
		m := faroMeasurement{Type: attr.Str(attrs, faroOTLPMeasurementType), Timestamp: timestamp}
		if v, ok := attrs.Get(faroOTLPMeasurementVal); ok && (v.Type() == pcommon.ValueTypeDouble || v.Type() == pcommon.ValueTypeInt) {
			value := v.Double()
			if v.Type() == pcommon.ValueTypeInt {
				value = float64(v.Int())
			}
			m.Values = map[string]float64{attr.Str(attrs, faroOTLPMeasurementName): value}
		}
		p.Measurements = append(p.Measurements, m)
	case attr.Str(attrs, faroOTLPExceptionType) != "":
		p.Exceptions = append(p.Exceptions, faroException{Type: attr.Str(attrs, faroOTLPExceptionType)})
	default:
		p.Logs = append(p.Logs, faroLog{Level: strings.ToLower(strings.TrimRight(lr.SeverityText(), "0123456789"))})
	}
}

// stringMap reads a map attribute as Faro's string maps.
func stringMap(m pcommon.Map) map[string]string {
	out := make(map[string]string, m.Len())
	for k, v := range m.All() {
		out[k] = v.AsString()
	}
	return out
}
