// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// maxScopeField bounds a scope's name and version.
const maxScopeField = 256

func (e *Enricher) checkEventName(name string) string {
	switch {
	case name == "":
		return "event name is missing (set LogRecord.event_name, e.g. browser.page_view)"
	case len(name) > e.Limits.MaxEventNameBytes:
		return fmt.Sprintf("event name is longer than %d bytes", e.Limits.MaxEventNameBytes)
	case !utf8.ValidString(name):
		return "event name is not valid UTF-8"
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "event name contains control characters"
	case schema.IsReservedEventName(name):
		return fmt.Sprintf("event name %s is reserved: only the sessionize processor makes it", attr.Quote(name))
	}
	return ""
}

// checkMeasures refuses an event whose numbers would poison a sum: every
// measure of schema.Measures it carries must be a finite number in range.
func checkMeasures(attrs pcommon.Map) string {
	for key := range attrs.All() {
		if !strings.HasPrefix(key, schema.MeasurePrefix) {
			continue // cheaper than the map look-up, for the many keys that are no measure
		}
		r, isMeasure := schema.Measures[key]
		if !isMeasure {
			continue
		}
		if _, status := attr.Measure(attrs, key); status == attr.MeasureInvalid {
			return fmt.Sprintf("attribute %s must be a finite number from %g to %g", key, r.Min, r.Max)
		}
	}
	return ""
}

// checkResource applies the attribute limits to a resource: it is copied
// to every (site, visitor) group, so it bounds what a request grows into.
func (e *Enricher) checkResource(resource pcommon.Resource) string {
	if msg := e.checkContainerAttributes(resource.Attributes()); msg != "" {
		return "resource: " + msg
	}
	return ""
}

// checkScope applies the same limits to a scope, and refuses the scope
// names only the pipeline may use.
func (e *Enricher) checkScope(scope pcommon.InstrumentationScope) string {
	name, version := scope.Name(), scope.Version()
	switch {
	case schema.IsReservedScope(name):
		return fmt.Sprintf("scope name %s is reserved for the sessionize processor", attr.Quote(name))
	case len(name) > maxScopeField || len(version) > maxScopeField:
		return fmt.Sprintf("scope name and version must be at most %d bytes each", maxScopeField)
	case !utf8.ValidString(name) || !utf8.ValidString(version):
		return "scope name or version is not valid UTF-8"
	}
	if msg := e.checkContainerAttributes(scope.Attributes()); msg != "" {
		return "scope: " + msg
	}
	if len(name)+len(version)+attributeBytes(scope.Attributes()) > e.Limits.MaxResourceBytes {
		return fmt.Sprintf("scope is larger than %d bytes", e.Limits.MaxResourceBytes)
	}
	return ""
}

func (e *Enricher) checkContainerAttributes(attrs pcommon.Map) string {
	if n := attrs.Len(); n > e.Limits.MaxAttributes {
		return fmt.Sprintf("has %d attributes, more than the limit of %d", n, e.Limits.MaxAttributes)
	}
	if size := attributeBytes(attrs); size > e.Limits.MaxResourceBytes {
		return fmt.Sprintf("attributes take %d bytes, more than the limit of %d", size, e.Limits.MaxResourceBytes)
	}
	budget := e.Limits.MaxAttributes - attrs.Len()
	for k, v := range attrs.All() {
		if msg := e.checkKey(k); msg != "" {
			return msg
		}
		if msg := e.checkValue(k, v, &budget, 0); msg != "" {
			return msg
		}
	}
	return ""
}

// checkKey refuses a key that is too long or not UTF-8: a key is stored
// with every copy of its event as much as a value is.
func (e *Enricher) checkKey(k string) string {
	if len(k) > e.Limits.MaxKeyBytes {
		return fmt.Sprintf("attribute key %s is longer than %d bytes", attr.Quote(k), e.Limits.MaxKeyBytes)
	}
	if !utf8.ValidString(k) {
		return "attribute key is not valid UTF-8"
	}
	return ""
}

// attributeBytes is about what attrs take once encoded: keys, strings and
// bytes, and a word for every other value.
func attributeBytes(attrs pcommon.Map) int {
	n := 0
	for k, v := range attrs.All() {
		n += len(k) + valueBytes(v)
	}
	return n
}

func valueBytes(v pcommon.Value) int {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return len(v.Str())
	case pcommon.ValueTypeBytes:
		return v.Bytes().Len()
	case pcommon.ValueTypeMap:
		return attributeBytes(v.Map())
	case pcommon.ValueTypeSlice:
		n := 0
		for _, item := range v.Slice().All() {
			n += valueBytes(item)
		}
		return n
	}
	return 8
}

// checkValues bounds the number and size of attribute values and insists on
// valid UTF-8, which the protobuf decoder does not check.
func (e *Enricher) checkValues(lr plog.LogRecord) string {
	if n := lr.Attributes().Len(); n > e.Limits.MaxAttributes {
		return fmt.Sprintf("has %d attributes, more than the limit of %d", n, e.Limits.MaxAttributes)
	}
	// Nested values spend the same budget as top-level attributes.
	budget := e.Limits.MaxAttributes - lr.Attributes().Len()
	for k, v := range lr.Attributes().All() {
		if msg := e.checkKey(k); msg != "" {
			return msg
		}
		if msg := e.checkValue(k, v, &budget, 0); msg != "" {
			return msg
		}
	}
	if msg := e.checkValue("body", lr.Body(), &budget, 0); msg != "" {
		return msg
	}
	// Each value within its limit can still add up: the event as a whole
	// has a budget, nested keys included.
	if size := attributeBytes(lr.Attributes()) + valueBytes(lr.Body()); size > e.Limits.MaxEventBytes {
		return fmt.Sprintf("the event's attributes and body take %d bytes, more than the limit of %d", size, e.Limits.MaxEventBytes)
	}
	return ""
}

func (e *Enricher) checkValue(key string, v pcommon.Value, budget *int, depth int) string {
	if depth > maxNesting {
		return fmt.Sprintf("attribute %s nests deeper than %d levels", attr.Quote(key), maxNesting)
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		if len(s) > e.Limits.MaxValueLength {
			return fmt.Sprintf("attribute %s is longer than %d bytes", attr.Quote(key), e.Limits.MaxValueLength)
		}
		if !utf8.ValidString(s) {
			return fmt.Sprintf("attribute %s is not valid UTF-8", attr.Quote(key))
		}
	case pcommon.ValueTypeBytes:
		if v.Bytes().Len() > e.Limits.MaxValueLength {
			return fmt.Sprintf("attribute %s is longer than %d bytes", attr.Quote(key), e.Limits.MaxValueLength)
		}
	case pcommon.ValueTypeMap:
		*budget -= v.Map().Len()
		if *budget < 0 {
			return fmt.Sprintf("attribute %s holds more values than the limit of %d", attr.Quote(key), e.Limits.MaxAttributes)
		}
		for k, nested := range v.Map().All() {
			if msg := e.checkKey(k); msg != "" {
				return fmt.Sprintf("attribute %s: %s", attr.Quote(key), msg)
			}
			if msg := e.checkValue(key+"."+k, nested, budget, depth+1); msg != "" {
				return msg
			}
		}
	case pcommon.ValueTypeSlice:
		*budget -= v.Slice().Len()
		if *budget < 0 {
			return fmt.Sprintf("attribute %s holds more values than the limit of %d", attr.Quote(key), e.Limits.MaxAttributes)
		}
		for _, nested := range v.Slice().All() {
			if msg := e.checkValue(key, nested, budget, depth+1); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// maxNesting bounds how deep maps and slices nest in an attribute value.
const maxNesting = 4
