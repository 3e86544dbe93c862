// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
			tc.cfg.guard(ok).ServeHTTP(rec, req)
			assert.Equal(t, tc.want, rec.Code)
			if tc.want == http.StatusUnauthorized {
				assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "Basic")
			}
		})
	}
}
