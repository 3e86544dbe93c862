// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// FunnelConfig is one funnel: a name and its ordered steps.
type FunnelConfig struct {
	// Name is the funnel's label value: 1 to 64 bytes.
	Name string `mapstructure:"name"`
	// Sites, when set, limits the funnel to these sites; default all.
	Sites []string `mapstructure:"sites"`
	// Steps: 2 to 8. A session reaches step k when it has done steps 1 to
	// k in this order; other events in between are allowed.
	Steps []FunnelStep `mapstructure:"steps"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// FunnelStep matches events: all of what is set must hold, and at least
// one of Event and Path must be set.
type FunnelStep struct {
	// Event is the event name, e.g. browser.page_view or signup.
	Event string `mapstructure:"event"`
	// Path is a path template: /pricing, or /checkout/{id} where {id} (any
	// name in braces) stands for one non-empty segment. A trailing slash is
	// ignored.
	Path string `mapstructure:"path"`
	// Properties are custom properties the event must carry with these
	// values, compared as the connector labels them (attr.Label: trimmed,
	// at most 64 bytes).
	Properties map[string]string `mapstructure:"properties"`

	// prevent unkeyed literal initialization
	_ struct{}
}

const maxFunnelNameBytes = 64

func validateFunnels(funnels []FunnelConfig) []error {
	var errs []error
	if len(funnels) > session.MaxFunnels {
		errs = append(errs, fmt.Errorf("funnels: at most %d, got %d", session.MaxFunnels, len(funnels)))
	}
	names := map[string]bool{}
	for i, f := range funnels {
		switch {
		case f.Name == "" || len(f.Name) > maxFunnelNameBytes || strings.ContainsFunc(f.Name, unicode.IsControl):
			errs = append(errs, fmt.Errorf("funnels[%d]: name must be 1 to %d bytes of text, got %q", i, maxFunnelNameBytes, f.Name))
		case names[f.Name]:
			errs = append(errs, fmt.Errorf("funnels[%d]: name %q is used twice", i, f.Name))
		}
		names[f.Name] = true
		if len(f.Steps) < 2 || len(f.Steps) > session.MaxFunnelSteps {
			errs = append(errs, fmt.Errorf("funnels[%d] (%s): 2 to %d steps, got %d", i, f.Name, session.MaxFunnelSteps, len(f.Steps)))
		}
		for k, step := range f.Steps {
			if step.Event == "" && step.Path == "" {
				errs = append(errs, fmt.Errorf("funnels[%d] (%s) step %d: set event, path or both", i, f.Name, k+1))
			}
			if step.Path != "" && !strings.HasPrefix(step.Path, "/") {
				errs = append(errs, fmt.Errorf("funnels[%d] (%s) step %d: path must start with /, got %q", i, f.Name, k+1, step.Path))
			}
		}
	}
	return errs
}

// funnelMatcher finds the funnel steps an event matches.
type funnelMatcher struct {
	funnels []compiledFunnel
}

type compiledFunnel struct {
	sites map[string]bool // nil: every site
	steps []compiledStep
}

type compiledStep struct {
	event string
	// segments of the path template; "" stands for any one segment. nil:
	// any path.
	segments   []string
	properties map[string]string
}

func newFunnelMatcher(funnels []FunnelConfig) *funnelMatcher {
	if len(funnels) == 0 {
		return nil
	}
	m := &funnelMatcher{}
	for _, f := range funnels[:min(len(funnels), session.MaxFunnels)] {
		cf := compiledFunnel{}
		if len(f.Sites) > 0 {
			cf.sites = setOf(f.Sites)
		}
		for _, step := range f.Steps[:min(len(f.Steps), session.MaxFunnelSteps)] {
			cs := compiledStep{event: step.Event, properties: step.Properties}
			if step.Path != "" {
				cs.segments = templateSegments(step.Path)
			}
			cf.steps = append(cf.steps, cs)
		}
		m.funnels = append(m.funnels, cf)
	}
	return m
}

// templateSegments splits a path template; a {name} segment becomes "".
func templateSegments(template string) []string {
	segments := pathSegments(template)
	for i, s := range segments {
		if len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' {
			segments[i] = ""
		}
	}
	return segments
}

// pathSegments splits a path on /, ignoring the leading and a trailing one.
func pathSegments(path string) []string {
	path = strings.TrimSuffix(strings.TrimPrefix(path, "/"), "/")
	if path == "" {
		return []string{}
	}
	return strings.Split(path, "/")
}

// match returns the steps of every funnel of the site that the event
// matches. A nil matcher matches nothing.
func (m *funnelMatcher) match(site, name, path string, attrs pcommon.Map) session.FunnelMatch {
	if m == nil {
		return 0
	}
	var match session.FunnelMatch
	var segments []string
	for f, funnel := range m.funnels {
		if funnel.sites != nil && !funnel.sites[site] {
			continue
		}
		for k, step := range funnel.steps {
			if step.event != "" && step.event != name {
				continue
			}
			if step.segments != nil {
				if segments == nil {
					segments = pathSegments(path)
				}
				if !segmentsMatch(step.segments, segments) {
					continue
				}
			}
			if !propertiesMatch(step.properties, attrs) {
				continue
			}
			match |= 1 << (f*session.MaxFunnelSteps + k)
		}
	}
	return match
}

func segmentsMatch(template, path []string) bool {
	return slices.EqualFunc(template, path, func(t, p string) bool {
		if t == "" {
			return p != "" // a {name} segment: any one segment
		}
		return t == p
	})
}

func propertiesMatch(want map[string]string, attrs pcommon.Map) bool {
	for key, value := range want {
		v, ok := attrs.Get(key)
		if !ok {
			return false
		}
		got, ok := attr.Label(v)
		if !ok || got != value {
			return false
		}
	}
	return true
}
