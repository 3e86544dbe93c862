// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"strings"
	"unsafe"
)

// maxInternedBytes bounds the interner's memory. Paths, campaigns and
// countries repeat across visitors, so a few MiB share them well; values
// past the budget are forgotten a generation at a time.
const maxInternedBytes = 16 << 20

// internEntryOverhead is about what a map entry and its pointer cost beyond
// the string bytes.
const internEntryOverhead = 64

// interner shares the strings that many sessions hold, so that a session
// keeps a pointer instead of a copy. Every value it returns is a copy: the
// caller's strings may point into a request buffer that must not be pinned.
// A nil interner copies every value.
//
// It keeps two generations within a byte budget: a value is looked up in
// the current one, then in the previous one (and moved to the current). When
// the current generation has used half the budget, it becomes the previous
// one and the old previous generation is forgotten, so that values nobody
// asked for during a whole generation leave and the memory stays bounded
// whatever clients send. Sessions keep the values they hold.
type interner struct {
	current, previous *generation
	budget            int
	// evicted counts values forgotten with a previous generation.
	evicted uint64
}

type generation struct {
	strs         map[string]*string
	attributions map[Attribution]*Attribution
	origins      map[origin]*origin
	bytes        int
}

func newGeneration() *generation {
	return &generation{strs: map[string]*string{}, attributions: map[Attribution]*Attribution{}, origins: map[origin]*origin{}}
}

func (g *generation) len() int { return len(g.strs) + len(g.attributions) + len(g.origins) }

func newInterner() *interner {
	return &interner{current: newGeneration(), previous: newGeneration(), budget: maxInternedBytes}
}

// charge accounts for a new entry of n bytes and starts a new generation
// when the current one is full.
func (in *interner) charge(n int) {
	in.current.bytes += n + internEntryOverhead
	if in.current.bytes >= in.budget/2 {
		in.evicted += uint64(in.previous.len())
		in.previous, in.current = in.current, newGeneration()
	}
}

func (in *interner) str(s string) *string {
	if s == "" {
		return nil
	}
	if in == nil {
		c := strings.Clone(s)
		return &c
	}
	if p, ok := in.current.strs[s]; ok {
		return p
	}
	p, ok := in.previous.strs[s]
	if !ok {
		c := strings.Clone(s)
		p = &c
	}
	in.current.strs[*p] = p
	in.charge(len(s))
	return p
}

func (in *interner) attribution(a Attribution) *Attribution {
	if a == (Attribution{}) {
		return nil
	}
	if in != nil {
		if p, ok := in.current.attributions[a]; ok {
			return p
		}
	}
	var c *Attribution
	if in != nil {
		c = in.previous.attributions[a]
	}
	if c == nil {
		c = &Attribution{
			ReferrerClass: deref(in.str(a.ReferrerClass)), ReferrerSource: deref(in.str(a.ReferrerSource)),
			UTMSource: deref(in.str(a.UTMSource)), UTMMedium: deref(in.str(a.UTMMedium)), UTMCampaign: deref(in.str(a.UTMCampaign)),
		}
	}
	if in != nil {
		in.current.attributions[*c] = c
		in.charge(int(unsafe.Sizeof(*c)))
	}
	return c
}

func (in *interner) origin(o origin) *origin {
	if o == (origin{}) {
		return nil
	}
	if in != nil {
		if p, ok := in.current.origins[o]; ok {
			return p
		}
	}
	var c *origin
	if in != nil {
		c = in.previous.origins[o]
	}
	if c == nil {
		c = &origin{country: deref(in.str(o.country)), device: deref(in.str(o.device))}
	}
	if in != nil {
		in.current.origins[*c] = c
		in.charge(int(unsafe.Sizeof(*c)))
	}
	return c
}
