// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema // import "github.com/footfall-analytics/footfall/internal/schema"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// EventName is a record's event name: its EventName field, or the
// event.name attribute older SDKs set instead. Every component reads the
// name through this, so that they cannot disagree about an event.
func EventName(lr plog.LogRecord) string {
	if name := lr.EventName(); name != "" {
		return name
	}
	if v, ok := lr.Attributes().Get(AttrEventNameLegacy); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// RecordKind is what a record of the sessionized stream is.
type RecordKind int

const (
	// KindEvent is a browser event.
	KindEvent RecordKind = iota
	// KindSessionStart and KindSessionEnd are the sessionize processor's
	// own records (under its scope).
	KindSessionStart
	KindSessionEnd
	// KindForgedSession is a session.start or session.end under another
	// scope: no component counts or stores it.
	KindForgedSession
)

// KindOf says what a record under scope is: an event, a session record the
// sessionize processor made, or a forged one.
func KindOf(scope pcommon.InstrumentationScope, lr plog.LogRecord) RecordKind {
	name := EventName(lr)
	switch {
	case !IsReservedEventName(name):
		return KindEvent
	case !IsTrustedSessionRecord(scope.Name()):
		return KindForgedSession
	case name == EventSessionStart:
		return KindSessionStart
	default:
		return KindSessionEnd
	}
}

// schemaNamespaces are the key prefixes of the event schema: the
// attributes it names (docs/events.md) and the ones it may name later.
var schemaNamespaces = []string{"footfall.", "url.", "user_agent.", "geo.", "session.", "log.record.", "client.", "network.", AttrEventNameLegacy}

// IsCustomProperty reports whether an attribute is one of the site's own
// event properties rather than the schema's: stored by Elasticsearch under
// footfall.properties and by the archive in its properties column, the
// same keys in both.
func IsCustomProperty(key string) bool {
	for _, prefix := range schemaNamespaces {
		if strings.HasPrefix(key, prefix) {
			return false
		}
	}
	return true
}
