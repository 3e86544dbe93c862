// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFunnelsAreValidated(t *testing.T) {
	two := []FunnelStep{{Path: "/pricing"}, {Event: "signup"}}
	for _, tc := range []struct {
		name    string
		funnels []FunnelConfig
		wantErr string
	}{
		{name: "valid", funnels: []FunnelConfig{{Name: "checkout", Steps: two}}},
		{name: "too many", funnels: []FunnelConfig{{Name: "a", Steps: two}, {Name: "b", Steps: two}, {Name: "c", Steps: two}, {Name: "d", Steps: two}, {Name: "e", Steps: two}}, wantErr: "funnels: at most 4, got 5"},
		{name: "no name", funnels: []FunnelConfig{{Steps: two}}, wantErr: "name must be 1 to 64 bytes"},
		{name: "long name", funnels: []FunnelConfig{{Name: strings.Repeat("x", 65), Steps: two}}, wantErr: "name must be 1 to 64 bytes"},
		{name: "twice", funnels: []FunnelConfig{{Name: "a", Steps: two}, {Name: "a", Steps: two}}, wantErr: `name "a" is used twice`},
		{name: "one step", funnels: []FunnelConfig{{Name: "a", Steps: two[:1]}}, wantErr: "2 to 8 steps, got 1"},
		{name: "nine steps", funnels: []FunnelConfig{{Name: "a", Steps: make([]FunnelStep, 9)}}, wantErr: "2 to 8 steps, got 9"},
		{name: "empty step", funnels: []FunnelConfig{{Name: "a", Steps: []FunnelStep{{Path: "/"}, {}}}}, wantErr: "step 2: set event, path or both"},
		{name: "relative path", funnels: []FunnelConfig{{Name: "a", Steps: []FunnelStep{{Path: "pricing"}, {Event: "signup"}}}}, wantErr: `step 1: path must start with /, got "pricing"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Funnels = tc.funnels
			err := cfg.Validate()
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestPathTemplates(t *testing.T) {
	for _, tc := range []struct {
		template, path string
		match          bool
	}{
		{"/pricing", "/pricing", true},
		{"/pricing", "/pricing/", true},
		{"/pricing/", "/pricing", true},
		{"/pricing", "/pricing/annual", false},
		{"/checkout/{id}", "/checkout/42", true},
		{"/checkout/{id}", "/checkout", false},
		{"/checkout/{id}", "/checkout//", false},
		{"/checkout/{id}/done", "/checkout/42/done", true},
		{"/", "/", true},
		{"/", "/home", false},
	} {
		got := segmentsMatch(templateSegments(tc.template), pathSegments(tc.path))
		assert.Equal(t, tc.match, got, "%s ~ %s", tc.template, tc.path)
	}
}
