// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package sitezone resolves each site's time zone: the site's own
// time_zone, else the default. The sessionize processor is where time zones
// are configured: it splits sessions at the site's midnight and names the
// zone on its records (schema.AttrSiteTimeZone), which the web analytics
// connector's "today" follows.
package sitezone // import "github.com/footfall-analytics/footfall/internal/sitezone"

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Zones are the time zones of sites.
type Zones struct {
	byDefault *time.Location
	sites     map[string]*time.Location
}

// Load loads the default zone and the zones of the sites that name their
// own (site id to IANA name; an empty name means the default). Its errors
// name the setting to fix: time_zone, or sites::<id>::time_zone.
func Load(byDefault string, sites map[string]string) (Zones, error) {
	z := Zones{byDefault: time.UTC, sites: map[string]*time.Location{}}
	var errs []error
	if loc, err := time.LoadLocation(byDefault); err != nil {
		errs = append(errs, fmt.Errorf("time_zone: %w", err))
	} else {
		z.byDefault = loc
	}
	for _, site := range slices.Sorted(maps.Keys(sites)) {
		if sites[site] == "" {
			continue
		}
		loc, err := time.LoadLocation(sites[site])
		if err != nil {
			errs = append(errs, fmt.Errorf("sites::%s::time_zone: %w", site, err))
			continue
		}
		z.sites[site] = loc
	}
	return z, errors.Join(errs...)
}

// Of is site's time zone.
func (z Zones) Of(site string) *time.Location {
	if loc, ok := z.sites[site]; ok {
		return loc
	}
	if z.byDefault == nil {
		return time.UTC
	}
	return z.byDefault
}
