// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter"

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/assets"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/stream"
	"github.com/footfall-analytics/footfall/internal/ratelimit"
	"github.com/footfall-analytics/footfall/internal/storageclient"
)

// streamInterval is the most often a client gets a snapshot: often enough
// that a click shows within a second of the connector's flush.
const streamInterval = 250 * time.Millisecond

type liveviewExporter struct {
	cfg       *Config
	settings  exporter.Settings
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time
	hub       *stream.Hub

	// mu owns the tracker and the sequence number.
	mu      sync.Mutex
	tracker *snapshot.Tracker
	seq     uint64

	server     *http.Server
	serverDone sync.WaitGroup
	boundAddr  net.Addr

	// history keeps the tracker's history when storage is configured.
	history    storage.Client
	stopSaving chan struct{}
	savingDone sync.WaitGroup
}

func newExporter(cfg *Config, set exporter.Settings) (*liveviewExporter, error) {
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, err
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	e := &liveviewExporter{
		cfg: cfg, settings: set, telemetry: tb, now: time.Now,
		tracker: snapshot.NewTracker(cfg.MaxSites, loc),
	}
	e.hub = stream.NewHub(cfg.MaxClients, streamInterval, cfg.WriteTimeout, stream.Hooks{
		Connected:    func() { tb.ExporterLiveviewClients.Add(ctx, 1) },
		Disconnected: func() { tb.ExporterLiveviewClients.Add(ctx, -1) },
		Refused:      func() { tb.ExporterLiveviewClientsRefused.Add(ctx, 1) },
		Dropped:      func() { tb.ExporterLiveviewClientsDropped.Add(ctx, 1) },
	})
	e.publish(e.now()) // clients connecting before the first push get an empty snapshot
	return e, nil
}

func (e *liveviewExporter) consumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	now := e.now()
	e.mu.Lock()
	dropped := e.tracker.Ingest(md, now)
	e.mu.Unlock()
	if dropped > 0 {
		e.telemetry.ExporterLiveviewSitesDropped.Add(ctx, int64(dropped))
	}
	e.publish(now)
	return nil
}

// publish builds a snapshot and hands it to the stream.
func (e *liveviewExporter) publish(now time.Time) {
	e.mu.Lock()
	e.seq++
	snap := e.tracker.Snapshot(e.seq, now, e.cfg.TopN)
	e.mu.Unlock()
	data, err := json.Marshal(snap)
	if err != nil {
		e.settings.Logger.Error("Encoding the live view snapshot failed", zap.Error(err))
		return
	}
	e.hub.Publish(snap.Seq, data)
}

func (e *liveviewExporter) start(ctx context.Context, host component.Host) error {
	if e.cfg.Storage != nil {
		client, err := storageclient.Get(ctx, host, *e.cfg.Storage, component.KindExporter, e.settings.ID)
		if err != nil {
			return err
		}
		e.history = client
		e.loadHistory(ctx)
		e.stopSaving = make(chan struct{})
		e.savingDone.Go(e.saveEveryMinute)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", assets.Index())
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", assets.Static()))
	mux.Handle("GET /events", e.hub)
	mux.HandleFunc("GET /api/snapshot", e.serveSnapshot)
	var err error
	failures := ratelimit.New(failedLoginsPerSec, failedLoginBurst, failedLoginClients, func() {
		e.telemetry.ExporterLiveviewLoginTableEvictions.Add(context.Background(), 1)
	})
	throttled := func() { e.telemetry.ExporterLiveviewLoginsThrottled.Add(context.Background(), 1) }
	if e.server, err = e.cfg.ToServer(ctx, host.GetExtensions(), e.settings.TelemetrySettings, e.cfg.guard(mux, failures, throttled, e.now)); err != nil {
		return err
	}
	listener, err := e.cfg.ToListener(ctx)
	if err != nil {
		return err
	}
	e.boundAddr = listener.Addr()
	e.settings.Logger.Info("Live dashboard", zap.String("url", dashboardURL(e.cfg, listener.Addr())))
	e.serverDone.Go(func() {
		if errHTTP := e.server.Serve(listener); errHTTP != nil && !errors.Is(errHTTP, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(errHTTP))
		}
	})
	return nil
}

func (e *liveviewExporter) serveSnapshot(w http.ResponseWriter, _ *http.Request) {
	_, data := e.hub.Latest()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(data)
}

func (e *liveviewExporter) shutdown(ctx context.Context) error {
	e.hub.Close()
	var err error
	if e.server != nil {
		err = e.server.Shutdown(ctx)
		e.serverDone.Wait()
	}
	if e.history != nil {
		close(e.stopSaving)
		e.savingDone.Wait()
		err = errors.Join(err, e.saveHistory(ctx), e.history.Close(ctx))
		e.history = nil
	}
	e.telemetry.Shutdown()
	return err
}

// dashboardURL is the address to open the dashboard at: https with tls,
// the first of allowed_hosts (the Host header must be one of them, so the
// bound IP address may be refused), and the bound port.
func dashboardURL(cfg *Config, bound net.Addr) string {
	scheme := "http"
	if cfg.TLS.HasValue() {
		scheme = "https"
	}
	host := "localhost"
	if len(cfg.AllowedHosts) > 0 {
		host = cfg.AllowedHosts[0]
	}
	_, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return scheme + "://" + bound.String() + "/"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}
