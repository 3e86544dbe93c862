// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestIsCurrency(t *testing.T) {
	for _, code := range []string{"EUR", "USD", "JPY", "CHF", "XCG"} {
		if !IsCurrency(code) {
			t.Errorf("%s is a currency", code)
		}
	}
	for _, code := range []string{"", "eur", "EU", "EURO", "ABC", "XXX", "XAU", "E\x00R"} {
		if IsCurrency(code) {
			t.Errorf("%q is not a currency", code)
		}
	}
	if n := len(currencies); n < 150 || n > 200 {
		t.Errorf("%d currency codes; ISO 4217 has about 180 active ones", n)
	}
}

func TestReserved(t *testing.T) {
	for _, name := range []string{EventSessionStart, EventSessionEnd} {
		if !IsReservedEventName(name) {
			t.Errorf("%s is reserved", name)
		}
	}
	for _, name := range []string{EventPageView, "session.started", "session", "signup"} {
		if IsReservedEventName(name) {
			t.Errorf("%s is not reserved", name)
		}
	}
	if !IsReservedScope(SessionizeScope) || IsReservedScope("footfall.js") {
		t.Error("only the sessionize scope is reserved")
	}
	for _, r := range []string{EndReasonIdle, EndReasonClientSession, EndReasonEvicted} {
		if !IsEndReason(r) {
			t.Errorf("%s is an end reason", r)
		}
	}
	if IsEndReason("x") || IsEndReason("") {
		t.Error("unknown reasons are not end reasons")
	}
}

func TestMeasuresShareTheirPrefix(t *testing.T) {
	for key := range Measures {
		if !strings.HasPrefix(key, MeasurePrefix) {
			t.Errorf("measure %s does not start with %s", key, MeasurePrefix)
		}
	}
}

// The event name is the record's, or the legacy attribute's; a session
// record counts only under the sessionizer's scope.
func TestEventNameAndKind(t *testing.T) {
	lr := plog.NewLogRecord()
	assert.Empty(t, EventName(lr))
	lr.Attributes().PutStr(AttrEventNameLegacy, EventSessionEnd)
	assert.Equal(t, EventSessionEnd, EventName(lr))
	trusted, other := pcommon.NewInstrumentationScope(), pcommon.NewInstrumentationScope()
	trusted.SetName(SessionizeScope)
	other.SetName("a-client")
	assert.Equal(t, KindSessionEnd, KindOf(trusted, lr))
	assert.Equal(t, KindForgedSession, KindOf(other, lr))
	lr.SetEventName(EventSessionStart)
	assert.Equal(t, EventSessionStart, EventName(lr), "the field wins over the attribute")
	assert.Equal(t, KindSessionStart, KindOf(trusted, lr))
	lr.SetEventName(EventPageView)
	assert.Equal(t, KindEvent, KindOf(other, lr))
}
