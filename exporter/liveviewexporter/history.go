// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"

import (
	"context"
	"time"

	"go.uber.org/zap"
)

const (
	// historyKey is where the tracker's history is kept in storage.
	historyKey = "history"
	// historySaveInterval is how often it is saved: the chart and the
	// windows move by the minute.
	historySaveInterval = time.Minute
	// historyTimeout bounds each storage call.
	historyTimeout = 10 * time.Second
)

// loadHistory restores the saved history. One that cannot be read is
// logged and left: the dashboard starts empty, as on a first start.
func (e *liveviewExporter) loadHistory(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, historyTimeout)
	defer cancel()
	data, err := e.history.Get(ctx, historyKey)
	if err != nil || data == nil {
		if err != nil {
			e.settings.Logger.Warn("Reading the live view history failed; the dashboard starts empty", zap.Error(err))
		}
		return
	}
	e.mu.Lock()
	err = e.tracker.UnmarshalBinary(data)
	e.mu.Unlock()
	if err != nil {
		e.settings.Logger.Warn("The saved live view history cannot be read; the dashboard starts empty", zap.Error(err))
	}
}

// saveHistory writes the history; the tracker is encoded under the lock,
// the storage call made after it is released.
func (e *liveviewExporter) saveHistory(ctx context.Context) error {
	e.mu.Lock()
	data, err := e.tracker.MarshalBinary()
	e.mu.Unlock()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, historyTimeout)
	defer cancel()
	return e.history.Set(ctx, historyKey, data)
}

func (e *liveviewExporter) saveEveryMinute() {
	ticker := time.NewTicker(historySaveInterval)
	defer ticker.Stop()
	for {
		select {
		case <-e.stopSaving:
			return
		case <-ticker.C:
			if err := e.saveHistory(context.Background()); err != nil {
				e.settings.Logger.Warn("Saving the live view history failed; retried in a minute", zap.Error(err))
			}
		}
	}
}
