// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/binwrite"
)

// The connector's saves form chains in storage: a base, then deltas, each
// stored under the epoch of the sessionize processor's checkpoint it goes
// with (stateKey), a delta naming the epoch before it. The state of epoch E
// is the base of E's chain with its deltas applied in order.
//
// The processor asks for epoch E only once its checkpoint E-1 is written,
// and asks for E again when checkpoint E failed. So a save of E commits the
// chain that ends at E-1: the keys of the chain before it are deleted with
// that save. Until then both are kept: the processor may crash before its
// checkpoint E is written, and restore E-1. A delta follows only the save
// before it, committed; after a failed or a restored-from-nothing save, or
// when the deltas add up to maxDeltasPerBase times their base, the save is
// a base.
const (
	stateKeyPrefix = "state/chain/"
	// legacyStateKeyPrefix + epoch%2 held the state of an epoch before
	// chains (stateVersion 1): read, never written, deleted once a chain
	// is committed.
	legacyStateKeyPrefix = "state/"
	// maxStateDeltas bounds a chain, and so the reads of a restore, one
	// key at a time; its bytes are bounded by its base. At 32 a chain of
	// small deltas beside a large base (the sites' visitor sketches) ended
	// after 32 saves whatever the bytes: the connector's bases were 0.031
	// of the events' bytes in BenchmarkChangelogWhileEventsTrickleIn's
	// changelog with 9,000 visitors, 0.011 at 256. A build of before
	// 2026-12-07 reads a longer chain as corrupt and starts from zero.
	maxStateDeltas = 256
	// maxDeltasPerBase bounds a chain's bytes: deltas follow a base while
	// they add up to less than this many times it, so a restore reads at
	// most about four times the base (the sessionizer's chains are bound
	// alike: maxChainStates). It trades that read, once per restart or
	// rebalance, against the bytes every save writes: bases write a third
	// of what the deltas do. On steady traffic
	// (BenchmarkChangelogWhileEventsTrickleIn, 27,000 visitors over 3.5
	// hours) the connector's saves were 0.0275 of the events' bytes with
	// deltas up to once their base, the bound until 2026-12-07, and 0.021
	// at three times.
	maxDeltasPerBase = 3
)

func stateKey(epoch int64) string { return stateKeyPrefix + strconv.FormatInt(epoch, 10) }

func legacyStateKey(epoch int64) string { return fmt.Sprintf("%s%d", legacyStateKeyPrefix, epoch%2) }

// stateChain is what this connector stored: the chain of the last committed
// save, and the chain ending at the last save, which may not be committed.
type stateChain struct {
	committed, pending []int64
	// baseBytes and deltaBytes are the sizes of pending's base and deltas.
	baseBytes, deltaBytes int
	// legacyDeleted: the keys of version 1 were deleted with a commit.
	legacyDeleted bool
	// leftover are keys a failed write was to delete: the next save does.
	leftover []string
}

// saveStep is one save: of a base or a delta of prev, and the keys it
// deletes (those of version 1 among them, once a chain is committed).
type saveStep struct {
	delta         bool
	prev          int64
	garbage       []string
	deletesLegacy bool
}

// next plans the save of epoch.
func (c *stateChain) next(epoch int64, canDelta bool) saveStep {
	step := saveStep{garbage: c.leftover}
	c.leftover = nil
	switch last, ok := lastOf(c.pending); {
	case ok && last < epoch:
		// The save before was committed: the chain before it is garbage.
		for _, e := range c.committed {
			if !slices.Contains(c.pending, e) {
				step.garbage = append(step.garbage, stateKey(e))
			}
		}
		if !c.legacyDeleted {
			step.garbage = append(step.garbage, legacyStateKey(0), legacyStateKey(1))
			step.deletesLegacy = true
		}
		c.committed = c.pending
	case ok:
		// The save of epoch was not committed; its changes are lost to a delta.
		c.pending, canDelta = c.committed, false
	}
	last, ok := lastOf(c.committed)
	step.delta = canDelta && ok && last == epoch-1 && len(c.committed) <= maxStateDeltas && c.deltaBytes < maxDeltasPerBase*c.baseBytes
	step.prev = last
	return step
}

// saved records the save of epoch as step planned it, n bytes, before it
// is written: a write that fails leaves epoch saved but not committed,
// which the next save finds (next).
func (c *stateChain) saved(epoch int64, step saveStep, n int) {
	if !step.delta {
		c.pending, c.baseBytes, c.deltaBytes = []int64{epoch}, n, 0
		return
	}
	c.pending = append(slices.Clone(c.committed), epoch)
	c.deltaBytes += n
}

// restored records the chain a restore read; a state of version 1 (no
// sizes) is no chain: the next save is a base, and the keys of version 1
// are deleted only once a chain after it is committed.
func (c *stateChain) restored(epochs []int64, sizes []int) {
	if sizes == nil {
		epochs = nil
	}
	c.committed, c.pending = epochs, epochs
	c.baseBytes, c.deltaBytes = 0, 0
	for i, n := range sizes {
		if i == 0 {
			c.baseBytes = n
		} else {
			c.deltaBytes += n
		}
	}
}

// written records the outcome of a save's write.
func (c *stateChain) written(step saveStep, err error) {
	if err != nil {
		c.leftover = append(c.leftover, step.garbage...)
		return
	}
	c.legacyDeleted = c.legacyDeleted || step.deletesLegacy
}

func lastOf(epochs []int64) (int64, bool) {
	if len(epochs) == 0 {
		return 0, false
	}
	return epochs[len(epochs)-1], true
}

// SaveState saves the aggregates for the sessionize processor's checkpoint
// epoch (cosave.Participant): a delta of what changed since the last save
// when it can, else a base. The processor delivers nothing meanwhile.
func (c *webAnalytics) SaveState(ctx context.Context, epoch int64) error {
	c.mu.Lock()
	step := c.chain.next(epoch, c.aggregator.canDelta())
	var (
		data []byte
		err  error
	)
	if step.delta {
		data, err = c.aggregator.saveDelta(c.start, epoch, step.prev)
	} else {
		data, err = c.aggregator.saveBase(c.start, epoch)
	}
	c.chain.saved(epoch, step, len(data))
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode web analytics state: %w", err)
	}
	ops := []*storage.Operation{storage.SetOperation(stateKey(epoch), data)}
	for _, key := range step.garbage {
		ops = append(ops, storage.DeleteOperation(key))
	}
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	err = c.client.Batch(ctx, ops...)
	c.mu.Lock()
	c.chain.written(step, err)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write web analytics state: %w", err)
	}
	kind := "base"
	if step.delta {
		kind = "delta"
	}
	c.telemetry.ConnectorWebanalyticsStateBytes.Add(ctx, int64(len(data)), metric.WithAttributes(attribute.String("kind", kind)))
	return nil
}

// RestoreState loads the aggregates saved with the checkpoint the sessionize
// processor restored (cosave.Participant), before it delivers anything: the
// base of its chain and the deltas after it. A state that is missing or
// cannot be read is logged: the series start from zero, which Prometheus
// reads as a counter reset.
//
// Flushing stops until ReplayDelivered: the series would otherwise go back
// from what was exported before the restart (events counted after the
// checkpoint) to the checkpoint's values, which Prometheus also reads as a
// counter reset, and which a partition's new owner in kafkastream must not
// publish.
func (c *webAnalytics) RestoreState(ctx context.Context, epoch int64) error {
	c.mu.Lock()
	c.replaying = true
	c.mu.Unlock()
	if epoch == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	chain, sizes, err := c.readChain(ctx, epoch)
	var series, sites int
	if err == nil {
		// The flush loop runs already: the aggregator is read under the lock.
		c.mu.Lock()
		err = c.restoreChain(chain.saves, chain.strings)
		if err == nil {
			c.chain.restored(epochsOf(chain.saves), sizes)
		}
		series, sites = len(c.aggregator.store.series), len(c.aggregator.sites)
		c.mu.Unlock()
	}
	if err != nil {
		c.settings.Logger.Error("Web analytics state could not be restored; every series starts from zero", zap.Error(err))
		return nil
	}
	c.settings.Logger.Info("Web analytics state restored", zap.Int64("checkpoint", epoch), zap.Int("deltas", len(chain.saves)-1), zap.Int("series", series), zap.Int("sites", sites))
	return nil
}

// readChain reads the saves that make the state of epoch, base first, and
// their sizes. A state saved before chains is a base alone. It walks the
// chain back from epoch by the saves' headers, then decodes it from its
// base on, which the strings of a delta need (statecodec.go).
func (c *webAnalytics) readChain(ctx context.Context, epoch int64) (storedChain, []int, error) {
	var (
		stored [][]byte
		sizes  []int
	)
	for want := epoch; ; {
		data, st, err := c.readSaved(ctx, stateKey(want), want)
		switch {
		case err != nil:
			return storedChain{}, nil, err
		case data == nil && len(stored) == 0:
			return c.readLegacy(ctx, epoch)
		case data == nil:
			return storedChain{}, nil, fmt.Errorf("the state saved with checkpoint %d, in the chain of checkpoint %d, is missing", want, epoch)
		}
		stored, sizes = append(stored, data), append(sizes, len(data))
		if !st.Delta {
			break
		}
		if st.Prev >= want || len(stored) > maxStateDeltas {
			return storedChain{}, nil, fmt.Errorf("the chain of checkpoint %d is corrupt at checkpoint %d", epoch, want)
		}
		want = st.Prev
	}
	slices.Reverse(stored)
	slices.Reverse(sizes)
	chain := storedChain{strings: &binread.Strings{}}
	for _, data := range stored {
		st, err := decodeState(data, chain.strings)
		if err != nil {
			return storedChain{}, nil, err
		}
		chain.saves = append(chain.saves, st)
	}
	return chain, sizes, nil
}

// storedChain is a chain as read: its saves, base first, and the strings they
// numbered, which the next delta goes on with.
type storedChain struct {
	saves   []savedState
	strings *binread.Strings
}

// readLegacy reads the state of a version that saved no chains.
func (c *webAnalytics) readLegacy(ctx context.Context, epoch int64) (storedChain, []int, error) {
	data, st, err := c.readSaved(ctx, legacyStateKey(epoch), epoch)
	switch {
	case err != nil:
		return storedChain{}, nil, err
	case data == nil:
		return storedChain{}, nil, fmt.Errorf("none was saved with checkpoint %d", epoch)
	}
	// Not a chain this build wrote: the next save is a base.
	return storedChain{saves: []savedState{st}, strings: &binread.Strings{}}, nil, nil
}

// readSaved reads the save stored under key, which must be of epoch, and
// its header (peekState; a gob stream whole); nil when there is none.
func (c *webAnalytics) readSaved(ctx context.Context, key string, epoch int64) ([]byte, savedState, error) {
	data, err := c.client.Get(ctx, key)
	if err != nil {
		return nil, savedState{}, fmt.Errorf("read web analytics state: %w", err)
	}
	if data == nil {
		return nil, savedState{}, nil
	}
	st, err := peekState(data)
	if err == nil && st.Epoch != epoch {
		err = fmt.Errorf("the state saved is of checkpoint %d, not %d", st.Epoch, epoch)
	}
	return data, st, err
}

// restoreChain replaces the aggregator's state with a base and its deltas,
// whose strings were numbered as strings holds; on an error it is left as
// it was.
func (c *webAnalytics) restoreChain(chain []savedState, strings *binread.Strings) error {
	restored, err := newAggregator(c.cfg)
	if err != nil {
		return err
	}
	if err := restored.restore(chain[0]); err != nil {
		return err
	}
	for _, delta := range chain[1:] {
		if err := restored.applyDelta(delta); err != nil {
			return fmt.Errorf("web analytics state of checkpoint %d: %w", delta.Epoch, err)
		}
	}
	restored.mark()
	restored.strings = binwrite.StringsOf(strings.List())
	c.aggregator = restored
	c.start = chain[len(chain)-1].Start
	return nil
}

func epochsOf(chain []savedState) []int64 {
	epochs := make([]int64, len(chain))
	for i, st := range chain {
		epochs[i] = st.Epoch
	}
	return epochs
}
