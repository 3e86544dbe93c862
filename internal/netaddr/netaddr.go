// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package netaddr answers questions about the addresses in configs.
package netaddr // import "github.com/footfall-analytics/footfall/internal/netaddr"

import (
	"net"
	"net/netip"
	"strings"
)

// IsLoopback reports whether a host, or the host of a host:port, is this
// machine's loopback: what goes there crosses no network.
func IsLoopback(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	if host == "localhost" {
		return true
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && addr.IsLoopback()
}
