// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package dropin turns what third-party browser SDKs send (the Grafana Faro
// Web SDK, the Plausible tracker and Events API) into Footfall events: log
// records in the client schema of docs/events.md. The receiver then checks
// and enriches them exactly as it does an OTLP request, so a format adds no
// way around the site, origin, limit and privacy rules.
package dropin // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/dropin"

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/problems"
)

// Format names the payload a request carried (footfall.ingest.format).
type Format string

// The formats the receiver reads.
const (
	FormatOTLP      Format = "otlp"
	FormatFaro      Format = "faro"
	FormatPlausible Format = "plausible"
)

// Decoded is one request's events.
type Decoded struct {
	Logs plog.Logs
	// SiteName names the site as the format does: Plausible's domain, Faro's
	// app name. Empty when the format names none.
	SiteName string
	// Signals counts what the request carried that is not an analytics
	// event (Faro's exceptions, logs, other measurements and its own
	// lifecycle events), by kind and type, for a metric.
	Signals map[Signal]int
	// Rejected counts the items refused while decoding (the rest of the
	// request goes on); Messages says why, for the first few.
	Rejected int
	Messages problems.List
	// Items counts what the request carried before mapping: the OTLP
	// records, Faro's items. A request pays for each, so that items which
	// map to no event (Faro's logs, empty records) are not free.
	Items int
}

func (d *Decoded) reject(format string, args ...any) {
	d.Rejected++
	d.Messages.Addf(format, args...)
}

func (d *Decoded) signal(kind, typ string) {
	if d.Signals == nil {
		d.Signals = map[Signal]int{}
	}
	d.Signals[Signal{Kind: kind, Type: typ}]++
}

// Signal is a kind of item that is counted, not forwarded, and its type
// from a closed set.
type Signal struct{ Kind, Type string }

// TooManyEventsError refuses a request with more items than a request may
// carry. Decoders return it before they map a single item, and stop
// decoding at the limit where they can: a small compressed body can hold
// many thousands of items, and each costs far more than the token the
// request paid.
type TooManyEventsError struct {
	// Items is how many the request holds; 0 when decoding stopped at the
	// limit, before they were all counted.
	Items int
	Limit int
}

func (e *TooManyEventsError) Error() string {
	if e.Items == 0 {
		return fmt.Sprintf("request has more events than max_events_per_request of %d", e.Limit)
	}
	return fmt.Sprintf("request has %d events, more than max_events_per_request of %d", e.Items, e.Limit)
}

// CheckItems refuses more than limit items.
func CheckItems(items, limit int) error {
	if items > limit {
		return &TooManyEventsError{Items: items, Limit: limit}
	}
	return nil
}

// errEmptyBody is what a request without a body is told.
var errEmptyBody = errors.New("the request body is empty")

// derivedID makes an event id from what identifies an item when its format
// has no id: a retry of the same item gets the same id, so the sessionizer
// drops it as a duplicate. Parts are separated by a byte no part may hold.
func derivedID(format Format, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(format))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return string(format) + "-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// reservedProperty reports whether a custom property key would pose as an
// attribute of the schema: a format's own properties must not set an event
// id, a URL or a goal value behind the mapping's back.
func reservedProperty(key string) bool {
	switch key {
	case schema.AttrEventID, schema.AttrEventNameLegacy, schema.AttrURLFull, schema.AttrSessionID,
		schema.AttrSessionPrevID, schema.AttrReferrer, schema.AttrAnonymousID, schema.AttrSiteID:
		return true
	}
	return strings.HasPrefix(key, schema.MeasurePrefix) || schema.IsPipelineOwned(key)
}
