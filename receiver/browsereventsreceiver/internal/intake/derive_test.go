// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/useragent"
)

// derivedCount bounds what addDerived adds, for a page view and a click
// carrying everything that can be derived (every user agent and location
// fact, a generated id, the stored user agent, a campaign with a click id,
// an outside referrer, a URL that is scrubbed): a new derived attribute
// must be counted there too, or records' attributes grow twice.
func TestDerivedCountBoundsWhatIsAdded(t *testing.T) {
	e, facts := everyFact(t)
	site := &sites.Site{ID: "example"}
	page, err := url.Parse("https://www.example.com/a?utm_source=s&utm_medium=m&utm_campaign=c&utm_term=t&utm_content=x&gclid=g&secret=1")
	require.NoError(t, err)
	for _, name := range []string{schema.EventPageView, schema.EventClick} {
		lr := plog.NewLogRecord()
		lr.Attributes().PutStr(schema.AttrReferrer, "https://news.example.org/story")
		before := lr.Attributes().Len()
		e.addDerived(facts, site, lr, name, page, "gen-1", true)
		added := lr.Attributes().Len() - before
		assert.LessOrEqual(t, added, e.derivedCount(facts, page, name, true), name)
		assert.Greater(t, added, 12, "%s: the record carries most of what can be derived", name)
	}
}

// The room the JSON decoder leaves (derivedRoom, from a record's name and
// whether its URL has a query) covers what derivedCount asks for such a
// record with every fact of the request set.
func TestDerivedRoomCoversDerivedCount(t *testing.T) {
	e, facts := everyFact(t)
	for _, rawURL := range []string{"https://www.example.com/a", "https://www.example.com/a?utm_source=s"} {
		page, err := url.Parse(rawURL)
		require.NoError(t, err)
		query := page.RawQuery != ""
		for _, name := range []string{schema.EventPageView, schema.EventClick, "signup"} {
			room := derivedRoom(name == schema.EventPageView, query)
			assert.Equal(t, e.derivedCount(facts, page, name, true), room, "%s on %s", name, rawURL)
			assert.GreaterOrEqual(t, room, e.derivedCount(facts, nil, name, true), "%s without a URL", name)
		}
	}
}

// everyFact is an enricher that stores the user agent, and a request with
// every user agent and location fact set: what derives the most.
func everyFact(t *testing.T) (*Enricher, *requestFacts) {
	e := newTestEnricher(t)
	e.StoreUserAgent = true
	return e, &requestFacts{
		req: testRequest,
		ua:  useragent.Info{BrowserName: "Chrome", BrowserVersion: "131", OSName: "Linux", OSVersion: "6", DeviceType: "desktop"},
		geo: geoip.Location{CountryISO: "DE", RegionISO: "DE-BE", City: "Berlin"},
	}
}
