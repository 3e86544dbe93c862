// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package cosave lets a component keep its state in step with the sessionize
// processor's checkpoints, so that a crash restores both to the same point.
//
// The webanalytics connector counts what the sessionize processor delivers.
// After a crash the processor replays everything it delivered since its
// last checkpoint; were the connector's state saved at any other moment,
// those events would be counted twice, or not at all. So the processor saves
// its participants' state inside its checkpoint: it stops delivering, has
// each participant save its state under the checkpoint's epoch, writes its
// own checkpoint, and delivers again. On start, it tells each participant
// which epoch it restored, and later when the output it delivers again
// after a restart has all been delivered.
//
// Components meet through the storage extension they share: the registry is
// keyed by the extension instance, so that two collectors in one process (as
// in tests) never see each other's components.
package cosave // import "github.com/footfall-analytics/footfall/internal/cosave"

import (
	"context"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/component"
)

// Participant keeps state that must be saved with the sessionize processor's
// checkpoints.
type Participant interface {
	// SaveState saves the state for checkpoint epoch. Nothing is delivered
	// to the participant meanwhile. The participant keeps the state of the
	// checkpoint before too: this one may not be committed.
	SaveState(ctx context.Context, epoch int64) error
	// RestoreState loads the state saved for epoch, before anything is
	// delivered; without one (epoch 0, or none saved) it starts empty.
	RestoreState(ctx context.Context, epoch int64) error
	// ReplayDelivered is called after RestoreState, once the processor has
	// delivered everything it restored to deliver again (the output
	// undelivered at the checkpoint, and the replay of its write-ahead
	// log). Only then does the participant hold what the stored state
	// holds: before, it holds the checkpoint alone, less than was exported
	// before the restart.
	ReplayDelivered()
}

var registry = struct {
	sync.Mutex
	members map[component.Component][]Participant
}{members: map[component.Component][]Participant{}}

// Join adds p to the participants of the checkpoints kept in storage; leave
// removes it.
func Join(storage component.Component, p Participant) (leave func()) {
	registry.Lock()
	defer registry.Unlock()
	registry.members[storage] = append(registry.members[storage], p)
	return func() {
		registry.Lock()
		defer registry.Unlock()
		members := slices.DeleteFunc(registry.members[storage], func(m Participant) bool { return m == p })
		if len(members) == 0 {
			delete(registry.members, storage)
			return
		}
		registry.members[storage] = members
	}
}

// Members returns the participants of the checkpoints kept in storage.
func Members(storage component.Component) []Participant {
	registry.Lock()
	defer registry.Unlock()
	return slices.Clone(registry.members[storage])
}
