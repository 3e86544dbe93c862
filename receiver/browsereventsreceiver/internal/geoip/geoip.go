// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package geoip looks up the country, region and city of an address in a
// MaxMind-format database (GeoLite2/GeoIP2 City or Country, DB-IP, and the
// ip-location-db country databases; docs/geo.md).
package geoip // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"

import (
	"cmp"
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is what the database knows of an address; empty fields are unknown.
type Location struct {
	CountryISO string
	RegionISO  string
	City       string
}

// DB is safe for concurrent use. A nil *DB finds nothing.
type DB struct {
	reader *maxminddb.Reader
}

// cityRecord reads both layouts in use: GeoIP2/GeoLite2 and DB-IP
// (country.iso_code, subdivisions, city), and the ip-location-db country
// databases Footfall ships (a top-level country_code).
type cityRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	CountryCode  string `maxminddb:"country_code"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"subdivisions"`
	City struct {
		Names struct {
			English string `maxminddb:"en"`
		} `maxminddb:"names"`
	} `maxminddb:"city"`
}

// Open memory-maps the database at path.
func Open(path string) (*DB, error) {
	reader, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening GeoIP database %q: %w", path, err)
	}
	return &DB{reader: reader}, nil
}

// Lookup never fails: an unknown or private address has no location, and a
// corrupt record is treated the same way rather than refusing the event.
func (db *DB) Lookup(addr netip.Addr) Location {
	if db == nil || !addr.IsValid() {
		return Location{}
	}
	var rec cityRecord
	if err := db.reader.Lookup(addr).Decode(&rec); err != nil {
		return Location{}
	}
	loc := Location{CountryISO: cmp.Or(rec.Country.ISOCode, rec.CountryCode), City: rec.City.Names.English}
	if len(rec.Subdivisions) > 0 && loc.CountryISO != "" && rec.Subdivisions[0].ISOCode != "" {
		// ISO 3166-2 codes carry the country: "US-CA", not "CA".
		loc.RegionISO = loc.CountryISO + "-" + rec.Subdivisions[0].ISOCode
	}
	return loc
}

// Close releases the database; safe on nil.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	return db.reader.Close()
}
