// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package geoip

import (
	"net/netip"
	"os"
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

// The ip-location-db country databases Footfall ships keep the country in a
// top-level country_code; the lookup reads it as the country.
func TestLookupCountryCodeLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "country.mmdb")
	require.NoError(t, WriteCountryCodeTestDatabase(path, []TestNetwork{
		{CIDR: "198.51.100.0/24", Location: Location{CountryISO: "DE"}},
		{CIDR: "2001:db8::/32", Location: Location{CountryISO: "JP"}},
	}))
	db, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	assert.Equal(t, Location{CountryISO: "DE"}, db.Lookup(netip.MustParseAddr("198.51.100.77")))
	assert.Equal(t, Location{CountryISO: "JP"}, db.Lookup(netip.MustParseAddr("2001:db8::1")))
	assert.Equal(t, Location{}, db.Lookup(netip.MustParseAddr("203.0.113.1")))
}

// The database `make geo` installs (geo/country.mmdb, docs/geo.md) gives the
// countries of addresses whose registration is long-standing: the regional
// registries' and national registries' own networks.
func TestShippedDatabase(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "geo", "country.mmdb")
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the shipped country database is missing (%v): make geo installs it", err)
		}
		t.Skipf("the shipped country database is missing (%v): make geo installs it", err)
	}
	db, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	for addr, country := range map[string]string{
		"193.0.6.139":               "NL", // RIPE NCC
		"2001:67c:2e8:22::c100:68b": "NL", // RIPE NCC, IPv6
		"200.160.2.3":               "BR", // NIC.br
		"202.12.27.33":              "JP", // WIDE (the M root server)
		"41.0.0.1":                  "ZA",
		"10.0.0.1":                  "", // private: no country
	} {
		assert.Equal(t, country, db.Lookup(netip.MustParseAddr(addr)).CountryISO, addr)
	}
}
