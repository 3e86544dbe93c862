// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/internal/storageclient"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// Start restores state from storage, then starts the state owner and the
// delivery loop.
func (p *sessionizeProcessor) Start(ctx context.Context, host component.Host) error {
	if p.cfg.Storage != nil {
		client, err := storageclient.Get(ctx, host, *p.cfg.Storage, component.KindProcessor, p.settings.ID)
		if err != nil {
			return err
		}
		p.client = client
		p.storageExt = host.GetExtensions()[*p.cfg.Storage]
		if err := p.openWAL(client); err != nil {
			_ = client.Close(ctx)
			return err
		}
		restored, err := p.restore(ctx, client)
		if err == nil {
			err = p.restoreParticipants(ctx)
		}
		if err != nil {
			_ = p.wal.close()
			_ = client.Close(ctx)
			return err
		}
		for _, ld := range restored.outbox {
			p.outbox.push(outboxItem{logs: ld, records: ld.LogRecordCount()})
		}
		for _, step := range restored.steps {
			p.emit(step)
		}
		// Only the delivery loop counts it down, from here on.
		p.restoredLeft = p.outbox.len()
		if p.restoredLeft == 0 {
			p.replayDelivered()
		}
		p.state.reportGauges()
		p.settings.Logger.Info("Sessionize state restored",
			zap.Int("live_sessions", p.state.core.Live()),
			zap.Int("pending_events", p.state.core.Pending()),
			zap.Int("undelivered_records", p.outbox.pendingRecords()))
	} else {
		p.settings.Logger.Warn("No storage configured: events held for allowed_lateness are lost on a crash, and open sessions are lost on shutdown unless flush_on_shutdown is set")
	}
	if _, segments := p.wal.(*segmentWAL); segments {
		p.writer = newWALWriter(p.wal)
	}
	p.lastCheckpoint = p.clock.Now()
	p.deliverCtx, p.cancel = context.WithCancel(context.Background())
	p.deliverDone = make(chan struct{})
	p.started = true
	go p.run()
	// Delivery outlives Start's context; Shutdown cancels it.
	go p.deliver() //nolint:gosec // G118: p.deliverCtx is the delivery loop's own context

	return nil
}

// openWAL opens the write-ahead log: segment files in wal_directory, or
// keys of the storage extension.
func (p *sessionizeProcessor) openWAL(client storage.Client) error {
	quarantine := func(ctx context.Context, seq uint64, data []byte, cause error) error {
		return p.quarantineValue(ctx, client, partWAL, walKey(seq), data, cause)
	}
	p.source, _ = client.(sourcelog.Reader)
	if p.cfg.WALDirectory == "" {
		p.wal = &storageWAL{client: client, quarantine: quarantine}
		return nil
	}
	log, err := openSegmentWAL(p.cfg.WALDirectory, p.walSegmentSize, quarantine, p.settings.Logger)
	if err != nil {
		return err
	}
	p.wal = log
	return nil
}

// Shutdown stops taking data, ends or keeps open sessions as configured,
// delivers what it can before ctx ends, and checkpoints the rest.
func (p *sessionizeProcessor) Shutdown(ctx context.Context) error {
	defer p.telemetry.Shutdown()
	p.stopOnce.Do(func() { close(p.stopping) })
	if !p.started {
		return nil
	}
	<-p.ownerDone
	p.settleCheckpoint()
	s := p.state
	switch {
	case p.cfg.FlushOnShutdown:
		p.emit(s.render(s.core.Flush(session.EndShutdown)))
	case p.client == nil:
		p.emit(s.render(s.core.PlacePending()))
		if live := s.core.Live(); live > 0 {
			p.settings.Logger.Warn("Open sessions are lost at shutdown: configure storage to keep them, or flush_on_shutdown to end them", zap.Int("sessions", live))
		}
	}
	s.reportGauges()
	close(p.drain)
	var errs []error
	select {
	case <-p.deliverDone:
	case <-ctx.Done():
		p.cancel()
		<-p.deliverDone
		if p.client == nil {
			errs = append(errs, fmt.Errorf("sessionize shutdown: %d records not delivered: %w", p.outbox.pendingRecords(), ctx.Err()))
		}
	}
	p.cancel()
	if p.client != nil {
		// The shutdown context may be spent by now; the checkpoint is what
		// keeps the state, so it gets its own short deadline.
		cpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		errs = append(errs, p.writeCheckpoint(cpCtx), p.wal.close(), p.client.Close(cpCtx))
	}
	return errors.Join(errs...)
}
