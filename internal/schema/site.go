// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema // import "github.com/footfall-analytics/footfall/internal/schema"

import (
	"fmt"
	"strings"
)

// MaxSiteIDBytes bounds a site id.
const MaxSiteIDBytes = 64

// CheckSiteID refuses a site id outside [a-z0-9][a-z0-9._-]{0,63} or with
// "..": a site id names metric series, Elasticsearch documents and archive
// paths, so it must be safe in each of them. Checked when a config is loaded
// and again on every path that builds a storage key from a record.
func CheckSiteID(id string) error {
	if id == "" || len(id) > MaxSiteIDBytes {
		return fmt.Errorf("a site id must be 1 to %d bytes", MaxSiteIDBytes)
	}
	if !isLowerAlnum(id[0]) {
		return fmt.Errorf("site id %q must start with a lower-case letter or a digit", id)
	}
	for i := 1; i < len(id); i++ {
		if c := id[i]; !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
			return fmt.Errorf("site id %q may hold only a-z, 0-9, '.', '_' and '-'", id)
		}
	}
	if strings.Contains(id, "..") {
		return fmt.Errorf("site id %q must not contain \"..\"", id)
	}
	return nil
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
