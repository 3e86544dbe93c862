// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/ratelimit"
	"github.com/footfall-analytics/footfall/internal/storageclient"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/botrules"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/clientip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadata"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/privacy"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/useragent"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/visitor"
)

const (
	logsPath    = "/v1/logs"
	trackerPath = "/footfall.js"
	// maxUserAgentBytes is how much of a User-Agent is parsed, hashed and
	// stored: real ones are 100 to 300 bytes, and a header of a megabyte
	// must not be copied onto every event.
	maxUserAgentBytes = 512
)

type browserEventsReceiver struct {
	cfg       *Config
	settings  receiver.Settings
	next      consumer.Logs
	obsrep    *receiverhelper.ObsReport
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time
	newID     func() string

	// Built by Start.
	enricher      *intake.Enricher
	limiter       *ratelimit.Limiter
	clientIPs     *clientip.Resolver
	geo           *geoip.DB
	storageClient storage.Client
	server        *http.Server
	boundAddr     net.Addr
	shutdownWG    sync.WaitGroup
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*browserEventsReceiver, error) {
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &browserEventsReceiver{
		cfg:       cfg,
		settings:  set,
		next:      next,
		obsrep:    obsrep,
		telemetry: telemetry,
		now:       time.Now,
		newID:     uuid.NewString,
	}, nil
}

func (r *browserEventsReceiver) Start(ctx context.Context, host component.Host) error {
	if err := r.buildPipeline(ctx, host); err != nil {
		return errors.Join(err, r.Shutdown(ctx))
	}
	if err := r.startServer(ctx, host); err != nil {
		return errors.Join(err, r.Shutdown(ctx))
	}
	return nil
}

func (r *browserEventsReceiver) buildPipeline(ctx context.Context, host component.Host) error {
	registry, err := r.buildSites()
	if err != nil {
		return err
	}
	trusted, err := clientip.ParsePrefixes(r.cfg.TrustedProxies)
	if err != nil {
		return err
	}
	r.clientIPs = clientip.NewResolver(trusted, r.cfg.ForwardedHeader)

	store, clientKeys, err := r.saltStores(ctx, host)
	if err != nil {
		return err
	}
	hasher, err := visitor.NewHasher(ctx, store, clientKeys, []byte(r.cfg.Visitor.SaltSecret), r.now, r.settings.Logger)
	if err != nil {
		return err
	}

	uaParser, err := useragent.New(r.cfg.UserAgentCacheSize, r.cfg.AllowedUserAgents, func() {
		r.telemetry.ReceiverBrowsereventsUserAgentCacheEvictions.Add(context.Background(), 1)
	})
	if err != nil {
		return err
	}

	if r.cfg.GeoIP.Database != "" {
		if r.geo, err = geoip.Open(r.cfg.GeoIP.Database); err != nil {
			return err
		}
	}

	bots, err := r.botRules()
	if err != nil {
		return err
	}

	if r.cfg.RateLimit.Enabled {
		r.limiter = ratelimit.New(r.cfg.RateLimit.EventsPerSecond, r.cfg.RateLimit.Burst, r.cfg.RateLimit.MaxClients, func() {
			r.telemetry.ReceiverBrowsereventsRateLimiterEvictions.Add(context.Background(), 1)
		})
	}

	r.enricher = &intake.Enricher{
		Sites:     registry,
		UserAgent: uaParser,
		Geo:       r.geo,
		Visitors:  hasher,
		Limits: intake.Limits{
			MaxAttributes:     r.cfg.Limits.MaxAttributesPerEvent,
			MaxValueLength:    r.cfg.Limits.MaxAttributeValueBytes,
			MaxEventNameBytes: 128,
			MaxEventIDBytes:   64,
			MaxResourceBytes:  r.cfg.Limits.MaxResourceBytes,
			MaxUserAgentBytes: maxUserAgentBytes,
			MaxKeyBytes:       r.cfg.Limits.MaxAttributeKeyBytes,
			MaxEventBytes:     r.cfg.Limits.MaxEventBytes,
		},
		Bots:           bots,
		KeepBots:       r.cfg.Bots == BotsFlag,
		NewID:          r.newID,
		URLs:           privacy.NewURLScrubber(r.cfg.Privacy.QueryParameters),
		StoreUserAgent: r.cfg.Privacy.StoreUserAgent,
	}
	return nil
}

// botRules loads the datacenter ranges file and the referrer-spam list.
func (r *browserEventsReceiver) botRules() (*botrules.Rules, error) {
	rules := &botrules.Rules{}
	if r.cfg.BlockReferrerSpam {
		rules.ReferrerSpam = botrules.ReferrerSpamList()
	}
	if path := r.cfg.DatacenterRangesFile; path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("datacenter_ranges_file: %w", err)
		}
		defer f.Close()
		if rules.Datacenters, err = botrules.ParseRanges(path, f); err != nil {
			return nil, fmt.Errorf("datacenter_ranges_file: %w", err)
		}
		r.settings.Logger.Info("Loaded datacenter ranges", zap.String("file", path), zap.Int("ranges", rules.Datacenters.Len()))
	}
	return rules, nil
}

func (r *browserEventsReceiver) buildSites() (*sites.Registry, error) {
	list := make([]*sites.Site, 0, len(r.cfg.Sites))
	for _, sc := range r.cfg.Sites {
		s := &sites.Site{
			ID:                 sc.ID,
			ClientVisitorID:    sc.VisitorID == VisitorIDClient,
			AllowMissingOrigin: sc.AllowMissingOrigin,
			Names:              sc.Names,
		}
		for _, o := range sc.Origins {
			p, err := sites.ParsePattern(o)
			if err != nil {
				return nil, fmt.Errorf("site %q: %w", sc.ID, err)
			}
			s.Patterns = append(s.Patterns, p)
		}
		list = append(list, s)
	}
	return sites.NewRegistry(list)
}

// saltStores returns where the daily salt and the client-id key are kept:
// side by side, in the storage extension, in files, or in memory.
func (r *browserEventsReceiver) saltStores(ctx context.Context, host component.Host) (salt, clientKeys visitor.SaltStore, err error) {
	salt, err = r.saltStore(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	switch s := salt.(type) {
	case visitor.StorageStore:
		return salt, visitor.StorageStore{Client: s.Client, Key: visitor.ClientKeyStorageKey}, nil
	case visitor.FileStore:
		return salt, visitor.FileStore{Path: s.Path + ".client-id-key"}, nil
	default:
		return salt, &visitor.MemoryStore{}, nil
	}
}

func (r *browserEventsReceiver) saltStore(ctx context.Context, host component.Host) (visitor.SaltStore, error) {
	switch {
	case r.cfg.Visitor.Storage != nil:
		client, err := storageclient.Get(ctx, host, *r.cfg.Visitor.Storage, component.KindReceiver, r.settings.ID)
		if err != nil {
			return nil, fmt.Errorf("visitor.storage: %w", err)
		}
		r.storageClient = client
		return visitor.StorageStore{Client: client}, nil
	case r.cfg.Visitor.SaltFile != "":
		return visitor.FileStore{Path: r.cfg.Visitor.SaltFile}, nil
	case r.cfg.Visitor.SaltSecret != "":
		return &visitor.MemoryStore{}, nil
	default:
		r.settings.Logger.Warn("No visitor.storage, salt_file or salt_secret configured: visitor ids will change when the collector restarts")
		return &visitor.MemoryStore{}, nil
	}
}

func (r *browserEventsReceiver) startServer(ctx context.Context, host component.Host) error {
	mux := http.NewServeMux()
	mux.HandleFunc(logsPath, r.handleLogs)
	mux.HandleFunc(trackerPath, r.handleTracker)
	if r.cfg.Faro.Enabled {
		mux.HandleFunc(r.cfg.Faro.Path, r.handleFaro)
	}
	if r.cfg.Plausible.Enabled {
		mux.HandleFunc(r.cfg.Plausible.Path, r.handlePlausible)
	}

	server := r.cfg.ServerConfig
	if !server.CORS.HasValue() {
		// Browsers on the sites' pages need CORS for fetch() with JSON; without
		// an explicit cors section, allow exactly the configured site origins.
		server.CORS = configoptional.Some(confighttp.CORSConfig{
			AllowedOrigins: corsOrigins(r.cfg.Sites),
			// The tracker waits as long as a 429 or 503 asks it to.
			ExposedHeaders: []string{"Retry-After"},
			// The headers Faro's fetch transport sends (its session, a key per
			// request, gzip), which a preflight must allow.
			AllowedHeaders: []string{"Content-Type", "Content-Encoding", "X-Faro-Session-Id", "Idempotency-Key", "X-Api-Key"},
			MaxAge:         7200,
		})
	}
	var err error
	if r.server, err = server.ToServer(ctx, host.GetExtensions(), r.settings.TelemetrySettings, mux, confighttp.WithErrorHandler(r.errorHandler)); err != nil {
		return err
	}
	var listener net.Listener
	if listener, err = server.ToListener(ctx); err != nil {
		return err
	}
	r.boundAddr = listener.Addr()
	r.settings.Logger.Info("Starting browser events server", zap.String("endpoint", listener.Addr().String()))
	r.shutdownWG.Go(func() {
		if errHTTP := r.server.Serve(listener); errHTTP != nil && !errors.Is(errHTTP, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(errHTTP))
		}
	})
	return nil
}

// corsOrigins turns site origin patterns into rs/cors allowed origins. A
// pattern without a port admits every port (as the site's origin check does),
// so a page on http://localhost:8080 may read the answers to its requests;
// rs/cors takes one wildcard per origin, so "*.example.com" admits the
// default ports only.
func corsOrigins(list []SiteConfig) []string {
	var out []string
	for _, s := range list {
		for _, o := range s.Origins {
			schemes := []string{"https://", "http://"}
			host := o
			for _, sch := range schemes {
				if rest, ok := cutPrefixFold(o, sch); ok {
					schemes, host = []string{sch}, rest
				}
			}
			hasPort := strings.Contains(host, ":")
			for _, sch := range schemes {
				out = append(out, sch+host)
				rest, wildcard := cutPrefixFold(host, "*.")
				if wildcard {
					out = append(out, sch+rest)
				}
				if !hasPort {
					out = append(out, sch+rest+":*")
				}
			}
		}
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func (r *browserEventsReceiver) Shutdown(ctx context.Context) error {
	var errs []error
	if r.server != nil {
		errs = append(errs, r.server.Shutdown(ctx))
	}
	r.shutdownWG.Wait()
	if r.geo != nil {
		errs = append(errs, r.geo.Close())
		r.geo = nil
	}
	if r.storageClient != nil {
		errs = append(errs, r.storageClient.Close(ctx))
		r.storageClient = nil
	}
	if r.telemetry != nil {
		r.telemetry.Shutdown()
	}
	return errors.Join(errs...)
}
