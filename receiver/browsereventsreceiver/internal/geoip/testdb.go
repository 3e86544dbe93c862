// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package geoip // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"

import (
	"net"
	"os"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// TestNetwork is one entry of a database written by WriteTestDatabase.
type TestNetwork struct {
	CIDR     string
	Location Location
}

// WriteTestDatabase writes a GeoIP2-City-shaped database to path, for tests
// of this package and of the receiver.
func WriteTestDatabase(path string, networks []TestNetwork) error {
	return writeTestDatabase(path, "GeoIP2-City", networks, func(l Location) mmdbtype.Map {
		record := mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String(l.CountryISO)},
		}
		if l.RegionISO != "" {
			record["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(l.RegionISO)}}
		}
		if l.City != "" {
			record["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(l.City)}}
		}
		return record
	})
}

// WriteCountryCodeTestDatabase writes a database in the layout of the
// ip-location-db country databases (a top-level country_code), the one
// Footfall ships; only the country of each network is written.
func WriteCountryCodeTestDatabase(path string, networks []TestNetwork) error {
	return writeTestDatabase(path, "ip-location-db country", networks, func(l Location) mmdbtype.Map {
		return mmdbtype.Map{"country_code": mmdbtype.String(l.CountryISO)}
	})
}

func writeTestDatabase(path, databaseType string, networks []TestNetwork, record func(Location) mmdbtype.Map) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: databaseType,
		RecordSize:   24,
		// Tests use the documentation ranges (RFC 5737), which are reserved.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		return err
	}
	for _, n := range networks {
		_, ipNet, err := net.ParseCIDR(n.CIDR)
		if err != nil {
			return err
		}
		if err := tree.Insert(ipNet, record(n.Location)); err != nil {
			return err
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
