// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import "github.com/footfall-analytics/footfall/internal/schema"

// MaxFunnels and MaxFunnelSteps bound the funnels a session follows: a
// session keeps its progress in each in four bits of one uint16, which fits
// in the padding of Session.
const (
	MaxFunnels     = schema.MaxFunnels
	MaxFunnelSteps = schema.MaxFunnelSteps
)

// FunnelMatch says which funnel steps an event matches: bit f*8+k is set
// when it matches step k (from 0) of funnel f.
type FunnelMatch uint32

// Matches reports whether the event matches step k (from 0) of funnel f.
func (m FunnelMatch) Matches(f, k int) bool { return m&(1<<(f*MaxFunnelSteps+k)) != 0 }

// FunnelProgress is a session's progress in each funnel: four bits per
// funnel, the number of its steps done in order.
type FunnelProgress uint16

// Steps is how many steps of funnel f are done.
func (p FunnelProgress) Steps(f int) int { return int(p>>(4*f)) & 0xf }

func (p FunnelProgress) with(f, steps int) FunnelProgress {
	return p&^(0xf<<(4*f)) | FunnelProgress(steps)<<(4*f)
}

// advanceFunnels moves the session one step on in every funnel whose next
// step the event matches (other events in between are allowed; one event
// does one step of a funnel), and returns the new progress of the funnels
// that moved, zero for the others. A match has bits only for steps that
// exist, so a funnel whose last step is done moves no more.
func (s *Session) advanceFunnels(m FunnelMatch) FunnelProgress {
	if m == 0 {
		return 0
	}
	var moved FunnelProgress
	for f := range MaxFunnels {
		done := s.funnels.Steps(f)
		if done < MaxFunnelSteps && m.Matches(f, done) {
			s.funnels = s.funnels.with(f, done+1)
			moved = moved.with(f, done+1)
		}
	}
	return moved
}
