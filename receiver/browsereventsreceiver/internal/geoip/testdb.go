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
// of this package and of the receiver; no real database ships with Footfall.
func WriteTestDatabase(path string, networks []TestNetwork) error {
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: "GeoIP2-City",
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
		record := mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String(n.Location.CountryISO)},
		}
		if n.Location.RegionISO != "" {
			record["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{"iso_code": mmdbtype.String(n.Location.RegionISO)}}
		}
		if n.Location.City != "" {
			record["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(n.Location.City)}}
		}
		if err := tree.Insert(ipNet, record); err != nil {
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
