// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"fmt"

	"github.com/footfall-analytics/footfall/internal/cosave"
)

// Participants (internal/cosave) keep their own state with each
// checkpoint: the webanalytics connector saves its counters under the
// checkpoint's epoch, so that after a restore it holds exactly what was
// delivered before the checkpoint began.

// saveParticipants has every participant (internal/cosave) save its state
// under epoch. Delivery must be paused: what was delivered is in their
// state, the rest in the checkpoint.
func (p *sessionizeProcessor) saveParticipants(ctx context.Context, epoch int64) error {
	for _, member := range cosave.Members(p.storageExt) {
		if err := member.SaveState(ctx, epoch); err != nil {
			return fmt.Errorf("save the state kept with the checkpoint: %w", err)
		}
	}
	return nil
}

// restoreParticipants has every participant load the state saved with the
// restored checkpoint, before anything is delivered to it.
func (p *sessionizeProcessor) restoreParticipants(ctx context.Context) error {
	for _, member := range cosave.Members(p.storageExt) {
		if err := member.RestoreState(ctx, p.state.epoch); err != nil {
			return fmt.Errorf("restore the state kept with the checkpoint: %w", err)
		}
	}
	return nil
}

// replayDelivered tells every participant that what the processor restored
// to deliver again has all been delivered (cosave.Participant).
func (p *sessionizeProcessor) replayDelivered() {
	for _, member := range cosave.Members(p.storageExt) {
		member.ReplayDelivered()
	}
}
