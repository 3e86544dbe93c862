// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Command footfall-loadgen sends realistic browser traffic to a browserevents
// receiver and reports throughput, ack latency, errors and the ground truth
// of what was acknowledged. The sites it sends for must exist in the
// receiver's config with visitor_id: client (bench/footfall-bench.yaml has
// them).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/footfall-analytics/footfall/bench/loadgen"
)

func main() {
	cfg := loadgen.Config{Traffic: loadgen.DefaultTraffic()}
	var mode, sites string
	var asJSON bool
	flag.StringVar(&cfg.URL, "url", "http://localhost:4319/v1/logs", "OTLP/HTTP logs endpoint")
	flag.StringVar(&mode, "mode", "batch", "batch (20 events per JSON request) or beacon (one event per text/plain request)")
	flag.IntVar(&cfg.BatchSize, "batch-size", 20, "events per request in batch mode")
	flag.IntVar(&cfg.Senders, "senders", 8, "concurrent senders, one request in flight each")
	flag.IntVar(&cfg.ActiveVisits, "active-visits", 32, "visits interleaved per sender")
	flag.DurationVar(&cfg.ThinkTime, "think-time", 0, "mean pause between two events of a visit (0: none, for throughput)")
	flag.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	flag.IntVar(&cfg.MaxVisits, "visits", 0, "stop after this many visits (0: no limit)")
	flag.Float64Var(&cfg.Rate, "rate", 0, "events per second over all senders (0: as fast as acks allow)")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "seed of the simulated traffic")
	flag.StringVar(&sites, "sites", strings.Join(cfg.Traffic.Sites, ","), "site ids, comma separated")
	flag.Float64Var(&cfg.Traffic.BounceShare, "bounce-share", cfg.Traffic.BounceShare, "share of visits with one page")
	flag.Float64Var(&cfg.Traffic.BotShare, "bot-share", cfg.Traffic.BotShare, "share of visits that are crawlers' (filtered by the receiver; counted apart in the ground truth)")
	flag.Float64Var(&cfg.Traffic.MeanPages, "mean-pages", cfg.Traffic.MeanPages, "mean pages of a visit that does not bounce")
	flag.Float64Var(&cfg.Traffic.UTMShare, "utm-share", cfg.Traffic.UTMShare, "share of visits landing with UTM tags")
	flag.BoolVar(&asJSON, "json", false, "print the report as JSON (latencies summarised)")
	flag.Parse()
	cfg.Mode = loadgen.Mode(mode)
	cfg.Traffic.Sites = strings.Split(sites, ",")
	if cfg.Mode != loadgen.Batch && cfg.Mode != loadgen.Beacon {
		fmt.Fprintf(os.Stderr, "unknown mode %q\n", mode)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	rep, err := loadgen.Run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if asJSON {
		out := map[string]any{
			"mode": rep.Mode, "seconds": rep.Duration.Seconds(), "requests": rep.Requests,
			"events_sent": rep.EventsSent, "events_acked": rep.EventsAcked, "events_lost": rep.EventsLost,
			"events_per_second": rep.EventsPerSecond(), "statuses": rep.Statuses,
			"ack_p50_ms": ms(rep.Quantile(0.5)), "ack_p99_ms": ms(rep.Quantile(0.99)), "ack_max_ms": ms(rep.Quantile(1)),
			"truth": rep.Truth,
		}
		_ = json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	fmt.Println(rep)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
