// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"go.opentelemetry.io/collector/config/configopaque"
)

// BasicAuthConfig protects the dashboard with HTTP basic authentication.
// Browsers ask for it once and send it with every request of the page,
// the event stream included (an EventSource cannot send a bearer token).
// Serve the dashboard over TLS (tls in this server's settings, or a proxy)
// when it is reached over a network.
type BasicAuthConfig struct {
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
}

// guard answers only requests for an allowed host name (so that a web page
// cannot reach the dashboard through DNS rebinding) that carry the
// credentials, when basic auth is set.
func (c *Config) guard(next http.Handler) http.Handler {
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
			user, password, ok := r.BasicAuth()
			// Hashes have equal lengths, so the comparison takes the same
			// time whatever was sent.
			userHash, passwordHash := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
			if !ok || subtle.ConstantTimeCompare(userHash[:], wantUser[:])&subtle.ConstantTimeCompare(passwordHash[:], wantPassword[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="Footfall live view", charset="UTF-8"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
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
