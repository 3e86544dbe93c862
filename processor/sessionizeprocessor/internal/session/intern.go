// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import "strings"

// maxInterned bounds each of the interner's tables. Paths, campaigns and
// countries repeat across visitors; past the bound a value gets its own copy.
const maxInterned = 1 << 16

// interner shares the strings that many sessions hold, so that a session
// keeps a pointer instead of a copy. Every value it returns is a copy: the
// caller's strings may point into a request buffer that must not be pinned.
// A nil interner copies every value.
type interner struct {
	strs         map[string]*string
	attributions map[Attribution]*Attribution
	origins      map[origin]*origin
}

func newInterner() *interner {
	return &interner{strs: map[string]*string{}, attributions: map[Attribution]*Attribution{}, origins: map[origin]*origin{}}
}

func (in *interner) str(s string) *string {
	if s == "" {
		return nil
	}
	if in != nil {
		if p, ok := in.strs[s]; ok {
			return p
		}
	}
	c := strings.Clone(s)
	if in != nil && len(in.strs) < maxInterned {
		in.strs[c] = &c
	}
	return &c
}

func (in *interner) attribution(a Attribution) *Attribution {
	if a == (Attribution{}) {
		return nil
	}
	if in != nil {
		if p, ok := in.attributions[a]; ok {
			return p
		}
	}
	c := &Attribution{
		ReferrerClass: deref(in.str(a.ReferrerClass)), ReferrerSource: deref(in.str(a.ReferrerSource)),
		UTMSource: deref(in.str(a.UTMSource)), UTMMedium: deref(in.str(a.UTMMedium)), UTMCampaign: deref(in.str(a.UTMCampaign)),
	}
	if in != nil && len(in.attributions) < maxInterned {
		in.attributions[*c] = c
	}
	return c
}

func (in *interner) origin(o origin) *origin {
	if o == (origin{}) {
		return nil
	}
	if in != nil {
		if p, ok := in.origins[o]; ok {
			return p
		}
	}
	c := &origin{country: deref(in.str(o.country)), device: deref(in.str(o.device))}
	if in != nil && len(in.origins) < maxInterned {
		in.origins[*c] = c
	}
	return c
}
