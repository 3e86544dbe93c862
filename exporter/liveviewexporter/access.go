// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/footfall-analytics/footfall/internal/ratelimit"
)

// BasicAuthConfig protects the dashboard with HTTP basic authentication.
// Browsers ask for it once and send it with every request of the page,
// the event stream included (an EventSource cannot send a bearer token).
// Basic auth sends the password with every request, so on an endpoint
// other than loopback the server must have tls set, or AllowPlainHTTP
// must say that a proxy in front terminates TLS.
type BasicAuthConfig struct {
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// AllowPlainHTTP serves basic auth without tls on a non-loopback
	// endpoint: only behind a proxy that terminates TLS and is the only
	// way to reach the endpoint. Default false.
	AllowPlainHTTP bool `mapstructure:"allow_plain_http"`
}

// Failed logins are throttled per client address (the peer: behind a proxy,
// every client shares its bucket, which is the safe side): a burst of
// failures, then one every few seconds, so that guessing a password of 12
// characters or more takes forever.
const (
	failedLoginBurst   = 10
	failedLoginsPerSec = 0.2
	failedLoginClients = 10_000
)

// guard answers only requests for an allowed host name (so that a web page
// cannot reach the dashboard through DNS rebinding) that carry the
// credentials, when basic auth is set.
func (c *Config) guard(next http.Handler, failures *ratelimit.Limiter, throttled func(), now func() time.Time) http.Handler {
	allowed := map[string]bool{}
	for _, h := range c.AllowedHosts {
		allowed[strings.ToLower(strings.Trim(h, "[]"))] = true
	}
	var wantUser, wantPassword [sha256.Size]byte
	auth := c.BasicAuth != nil
	if auth {
		wantUser, wantPassword = sha256.Sum256([]byte(c.BasicAuth.Username)), sha256.Sum256([]byte(c.BasicAuth.Password))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[hostName(r.Host)] {
			http.Error(w, "unknown host: add it to the live view's allowed_hosts", http.StatusMisdirectedRequest)
			return
		}
		if auth {
			client := peerAddr(r)
			// A client out of attempts is not even checked: it learns
			// nothing of whether its guess was right.
			if ok, wait := failures.Available(client, 1, now()); !ok {
				throttled()
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Seconds()+0.999))))
				http.Error(w, "too many failed logins; retry later", http.StatusTooManyRequests)
				return
			}
			user, password, ok := r.BasicAuth()
			// Hashes have equal lengths, so the comparison takes the same
			// time whatever was sent.
			userHash, passwordHash := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
			if !ok || subtle.ConstantTimeCompare(userHash[:], wantUser[:])&subtle.ConstantTimeCompare(passwordHash[:], wantPassword[:]) != 1 {
				if ok { // a page asking for credentials is no failed attempt
					failures.Allow(client, 1, now())
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="Footfall live view", charset="UTF-8"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// peerAddr is the address the request came from.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// hostName is the Host header without its port, lower case, IPv6 without
// brackets.
func hostName(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport // no port
	}
	return strings.ToLower(strings.Trim(host, "[]"))
}
