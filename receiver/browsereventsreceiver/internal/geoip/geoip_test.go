// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package geoip

import (
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLookup(t *testing.T) {
	path := filepath.Join(t.TempDir(), "city.mmdb")
	require.NoError(t, WriteTestDatabase(path, []TestNetwork{
		{CIDR: "198.51.100.0/24", Location: Location{CountryISO: "DE", RegionISO: "BE", City: "Berlin"}},
		{CIDR: "203.0.113.0/24", Location: Location{CountryISO: "FR"}},
		{CIDR: "2001:db8::/32", Location: Location{CountryISO: "JP", RegionISO: "13", City: "Tokyo"}},
	}))
	db, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })

	assert.Equal(t, Location{CountryISO: "DE", RegionISO: "DE-BE", City: "Berlin"}, db.Lookup(netip.MustParseAddr("198.51.100.77")))
	assert.Equal(t, Location{CountryISO: "FR"}, db.Lookup(netip.MustParseAddr("203.0.113.1")))
	assert.Equal(t, Location{CountryISO: "JP", RegionISO: "JP-13", City: "Tokyo"}, db.Lookup(netip.MustParseAddr("2001:db8::1")))
	assert.Equal(t, Location{}, db.Lookup(netip.MustParseAddr("192.0.2.1")), "not in the database")
	assert.Equal(t, Location{}, db.Lookup(netip.Addr{}), "invalid address")

	var none *DB
	assert.Equal(t, Location{}, none.Lookup(netip.MustParseAddr("198.51.100.77")), "no database configured")
	assert.NoError(t, none.Close())
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing.mmdb"))
	require.ErrorContains(t, err, "opening GeoIP database")
}
