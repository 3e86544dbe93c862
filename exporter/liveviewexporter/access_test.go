// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/ratelimit"
	"github.com/footfall-analytics/footfall/internal/testclock"
)

func newFailures() *ratelimit.Limiter {
	return ratelimit.New(failedLoginsPerSec, failedLoginBurst, failedLoginClients, nil)
}

func TestGuard(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	open := createDefaultConfig().(*Config)
	locked := createDefaultConfig().(*Config)
	locked.AllowedHosts = []string{"stats.example.com"}
	locked.BasicAuth = &BasicAuthConfig{Username: "team", Password: "correct horse battery"}
	for _, tc := range []struct {
		name           string
		cfg            *Config
		host           string
		user, password string
		want           int
	}{
		{name: "localhost", cfg: open, host: "localhost:4320", want: http.StatusNoContent},
		{name: "loopback address", cfg: open, host: "127.0.0.1:4320", want: http.StatusNoContent},
		{name: "IPv6 loopback", cfg: open, host: "[::1]:4320", want: http.StatusNoContent},
		{name: "a rebound name", cfg: open, host: "attacker.example:4320", want: http.StatusMisdirectedRequest},
		{name: "no credentials", cfg: locked, host: "stats.example.com", want: http.StatusUnauthorized},
		{name: "wrong password", cfg: locked, host: "stats.example.com", user: "team", password: "wrong", want: http.StatusUnauthorized},
		{name: "wrong user", cfg: locked, host: "stats.example.com", user: "other", password: "correct horse battery", want: http.StatusUnauthorized},
		{name: "credentials", cfg: locked, host: "Stats.Example.com:443", user: "team", password: "correct horse battery", want: http.StatusNoContent},
		{name: "credentials, wrong host", cfg: locked, host: "localhost", user: "team", password: "correct horse battery", want: http.StatusMisdirectedRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/events", http.NoBody)
			req.Host = tc.host
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.password)
			}
			rec := httptest.NewRecorder()
			tc.cfg.guard(ok, newFailures(), func() {}, time.Now).ServeHTTP(rec, req)
			assert.Equal(t, tc.want, rec.Code)
			if tc.want == http.StatusUnauthorized {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Basic")
			}
		})
	}
}

// Failed logins are throttled per address: after the burst, every request
// of that address gets 429 without its credentials being checked, even
// right ones, until the allowance refills; other addresses are unaffected.
func TestFailedLoginsAreThrottled(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	cfg := createDefaultConfig().(*Config)
	cfg.BasicAuth = &BasicAuthConfig{Username: "team", Password: "correct horse battery"}
	clock := testclock.New(time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC))
	throttled := 0
	guard := cfg.guard(ok, newFailures(), func() { throttled++ }, clock.Now)
	send := func(addr, password string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/events", http.NoBody)
		req.Host, req.RemoteAddr = "localhost", addr+":5555"
		req.SetBasicAuth("team", password)
		rec := httptest.NewRecorder()
		guard.ServeHTTP(rec, req)
		return rec
	}
	for i := range failedLoginBurst {
		require.Equal(t, http.StatusUnauthorized, send("192.0.2.1", "guess").Code, "attempt %d", i)
	}
	rec := send("192.0.2.1", "correct horse battery")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code, "even the right password waits")
	assert.Equal(t, "5", rec.Header().Get("Retry-After"))
	assert.Equal(t, 1, throttled)
	assert.Equal(t, http.StatusNoContent, send("192.0.2.2", "correct horse battery").Code, "another address is not throttled")
	clock.Set(clock.Now().Add(5 * time.Second))
	assert.Equal(t, http.StatusNoContent, send("192.0.2.1", "correct horse battery").Code, "one attempt refilled")
}

// Basic auth on a non-loopback endpoint needs TLS, or the explicit word
// that a proxy in front terminates it.
func TestBasicAuthOffLoopbackNeedsTLS(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.BasicAuth = &BasicAuthConfig{Username: "team", Password: "correct horse battery"}
	for endpoint, wantErr := range map[string]bool{
		"localhost:4320": false, "127.0.0.1:4320": false, "[::1]:4320": false,
		"0.0.0.0:4320": true, ":4320": true, "192.0.2.7:4320": true,
	} {
		cfg.NetAddr.Endpoint = endpoint
		cfg.BasicAuth.AllowPlainHTTP = false
		if wantErr {
			assert.ErrorContains(t, cfg.Validate(), "sends the password in the clear", endpoint)
			cfg.BasicAuth.AllowPlainHTTP = true
		}
		assert.NoError(t, cfg.Validate(), endpoint)
	}
}
