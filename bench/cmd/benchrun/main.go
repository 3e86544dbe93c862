// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Command benchrun is the whole-process half of `make bench`: it runs
// footfall (bench/footfall-bench.yaml) and a stock collector built by ocb
// from upstream modules (bench/baseline) under the same load from
// bench/loadgen, alternating, and prints one table together with the Go
// micro-benchmarks `make bench` ran before it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/footfall-analytics/footfall/bench/loadgen"
	"github.com/footfall-analytics/footfall/internal/procstatus"
	"github.com/footfall-analytics/footfall/internal/promtext"
)

func main() {
	footfall := flag.String("footfall", "bin/footfall", "the footfall binary")
	baseline := flag.String("baseline", "bench/baseline/_build/otelcol-baseline", "the stock collector binary")
	micro := flag.String("micro", "", "go test -bench output to include in the table")
	duration := flag.Duration("duration", 15*time.Second, "length of each load run")
	rounds := flag.Int("rounds", 2, "alternating rounds of every peer")
	bare := flag.Bool("serve-bare-ingest", false, "serve the bare durable-ingest peer (benchrun starts itself with it)")
	latencyOnly := flag.Bool("latency-only", false, "only time event → metrics, under load and on a quiet site")
	gatewayOnly := flag.Bool("gateway-only", false, "only the gateway peers into Kafka")
	flag.StringVar(&gatewayConfig, "gateway-config", gatewayConfig, "the footfall gateway's config, merged with config/kafka-plaintext.yaml and bench/gateway-bench.yaml")
	flag.Parse()
	if *gatewayOnly {
		batch := loadgen.Config{Mode: loadgen.Batch, Senders: 16, Duration: *duration, Traffic: loadgen.DefaultTraffic()}
		if err := runGateways(*footfall, *baseline, batch, *rounds); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
		return
	}
	if *bare {
		if err := serveBareIngest(); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun bare ingest:", err)
			os.Exit(1)
		}
		return
	}
	if *latencyOnly {
		if err := printLatency(collector{name: peerFootfall, bin: *footfall, config: "bench/footfall-bench.yaml"}); err != nil {
			fmt.Fprintln(os.Stderr, "benchrun:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*footfall, *baseline, *micro, *duration, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

type collector struct {
	name, bin string
	// args are the command line; --config <config> when empty.
	args   []string
	config string
	// extraEnv is added to the process environment.
	extraEnv []string
}

// measurement is one load run against one process.
type measurement struct {
	report     loadgen.Report
	cpuSeconds float64
	peakRSSMiB float64
	// loadgenCPUSeconds is the load generator's own CPU (this process),
	// on the same two cores.
	loadgenCPUSeconds float64
	// counted, for footfall, is the page views its metrics endpoint showed
	// after the run, against the people's page views of the warm-up and
	// the run (wantCounted): crawlers' must not be among them.
	counted, wantCounted float64
}

func (m measurement) cpuPerMillion() float64 {
	return m.cpuSeconds / float64(m.report.EventsAcked) * 1e6
}

func (m measurement) loadgenCPUPerMillion() float64 {
	return m.loadgenCPUSeconds / float64(m.report.EventsAcked) * 1e6
}

// The peers: footfall's default pipeline, the stock collector acknowledging
// from memory, the stock collector acknowledging once the batch is in its
// persistent queue (fsync), and the bare limit of durable HTTP ingest.
const (
	peerFootfall = "footfall"
	peerStock    = "stock (otlp → batch → debug)"
	peerHonest   = "stock, honest ack (otlp → otlp_http, file_storage queue with fsync)"
	peerBare     = "bare durable ingest (read body, group-committed append + fdatasync)"
)

func run(footfallBin, baselineBin, microPath string, duration time.Duration, rounds int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	sink, stopSink := startSink()
	defer stopSink()
	peers := []collector{
		{name: peerFootfall, bin: footfallBin, config: "bench/footfall-bench.yaml"},
		{name: peerStock, bin: baselineBin, config: "bench/baseline/config.yaml"},
		{name: peerHonest, bin: baselineBin, config: "bench/baseline/honest-ack.yaml", extraEnv: []string{"FOOTFALL_SINK_ENDPOINT=" + sink}},
		{name: peerBare, bin: self, args: []string{"-serve-bare-ingest"}},
	}
	footfall, bare := peers[0], peers[3]
	batch := loadgen.Config{Mode: loadgen.Batch, Senders: 16, Duration: duration, Traffic: loadgen.DefaultTraffic()}
	beacon := batch
	beacon.Mode = loadgen.Beacon
	beacon.Senders = 32

	results := map[string][]measurement{}
	for round := range rounds {
		for _, c := range peers {
			m, err := measure(c, batch)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round+1, c.name, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %s batch: %s\n", round+1, c.name, m.report)
			results[c.name] = append(results[c.name], m)
		}
	}
	beacons, err := measureEach([]collector{footfall, bare}, beacon, "beacons")
	if err != nil {
		return err
	}
	// The bare peer paced too: its ack p99 is the floor this machine and
	// the load generator beside it leave at that rate.
	paced := batch
	paced.Rate = 20000
	pacedRuns, err := measureEach([]collector{footfall, bare}, paced, "at 20k events/s")
	if err != nil {
		return err
	}

	fmt.Printf("\n## Footfall benchmarks, %s, %d cores, %s\n\n", time.Now().UTC().Format("2006-01-02"), numCPU(), cpuModel())
	if microPath != "" {
		if err := printMicro(microPath); err != nil {
			return err
		}
	}
	fmt.Printf("\n### Whole process (loopback, load generator in the same machine, %v per run)\n\n", duration)
	fmt.Println("| run | events/s acked | requests/s | ack p50 | ack p99 | ack max | CPU s per 1M events | loadgen CPU s per 1M events | peak RSS MiB | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range peers {
		for i, m := range results[c.name] {
			printRow(fmt.Sprintf("%s, batches of 20, round %d", c.name, i+1), m)
		}
	}
	for _, c := range []collector{footfall, bare} {
		printRow(c.name+", single-event beacons", beacons[c.name])
	}
	for _, c := range []collector{footfall, bare} {
		printRow(c.name+", batches of 20 paced at 20,000 events/s", pacedRuns[c.name])
	}
	rate := func(name string) float64 {
		return best(results[name], func(m measurement) float64 { return m.report.EventsPerSecond() })
	}
	cpu := func(name string) float64 {
		return best(results[name], func(m measurement) float64 { return -m.cpuPerMillion() })
	}
	fmt.Println()
	fmt.Println("Footfall as a share of each peer, best rounds, batches of 20:")
	fmt.Println()
	fmt.Println("| peer | footfall events/s ÷ peer's | footfall CPU per event ÷ peer's |")
	fmt.Println("|---|---|---|")
	for _, c := range peers[1:] {
		fmt.Printf("| %s | %.2f× | %.2f× |\n", c.name, rate(peerFootfall)/rate(c.name), cpu(peerFootfall)/cpu(c.name))
	}
	fmt.Println()
	for i, m := range results[peerFootfall] {
		verdict := "exact"
		if m.counted != m.wantCounted {
			verdict = "NOT exact"
		}
		fmt.Printf("Footfall round %d counted %.0f page views of people's %.0f (%s), while %d crawler events (%d visits) were acknowledged and filtered.\n",
			i+1, m.counted, m.wantCounted, verdict, m.report.Truth.BotEvents, m.report.Truth.BotVisits)
	}
	fmt.Printf("\nSingle-event beacons: footfall %.0f requests/s, %.2f× the bare limit (%.0f).\n",
		beacons[peerFootfall].report.EventsPerSecond(), beacons[peerFootfall].report.EventsPerSecond()/beacons[peerBare].report.EventsPerSecond(), beacons[peerBare].report.EventsPerSecond())
	fmt.Printf("\nPaced at 20,000 events/s: footfall's ack p99 %v, the bare limit's %v.\n",
		pacedRuns[peerFootfall].report.Quantile(0.99).Round(10*time.Microsecond), pacedRuns[peerBare].report.Quantile(0.99).Round(10*time.Microsecond))
	if err := printLatency(footfall); err != nil {
		return err
	}
	return runGateways(footfallBin, baselineBin, batch, rounds)
}

// measureEach runs one load against each peer in turn, by peer name.
func measureEach(peers []collector, load loadgen.Config, what string) (map[string]measurement, error) {
	out := map[string]measurement{}
	for _, c := range peers {
		m, err := measure(c, load)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.name, what, err)
		}
		fmt.Fprintf(os.Stderr, "%s %s: %s\n", c.name, what, m.report)
		out[c.name] = m
	}
	return out, nil
}

// printLatency times event → metrics under load and on a quiet site.
func printLatency(footfall collector) error {
	underLoad, err := eventToMetrics(footfall, 40, true)
	if err != nil {
		return fmt.Errorf("event to metrics under load: %w", err)
	}
	quiet, err := eventToMetrics(footfall, 40, false)
	if err != nil {
		return fmt.Errorf("event to metrics on a quiet site: %w", err)
	}
	for _, v := range []struct {
		name    string
		samples []time.Duration
	}{{"under 5,000 events/s of other sites' traffic", underLoad}, {"on a quiet site (no other traffic)", quiet}} {
		fmt.Printf("Event → visible on the metrics endpoint, %s (%d samples): p50 %v, p99 %v, max %v.\n",
			v.name, len(v.samples), quantile(v.samples, 0.5), quantile(v.samples, 0.99), quantile(v.samples, 1))
	}
	return nil
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	return sorted[int(q*float64(len(sorted)-1))].Round(time.Millisecond)
}

// startSink serves the honest-ack peer's otlp_http exporter: it answers
// every export with an empty OTLP response.
func startSink() (addr string, stop func()) {
	addr = freeAddr()
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})}
	go func() { _ = srv.ListenAndServe() }()
	return addr, func() { _ = srv.Close() }
}

func best(ms []measurement, score func(measurement) float64) float64 {
	b := score(ms[0])
	for _, m := range ms[1:] {
		b = max(b, score(m))
	}
	if b < 0 {
		return -b
	}
	return b
}

func printRow(name string, m measurement) {
	r := m.report
	errs := 0
	for status, n := range r.Statuses {
		if status < 200 || status > 299 {
			errs += n
		}
	}
	fmt.Printf("| %s | %.0f | %.0f | %v | %v | %v | %.1f | %.1f | %.0f | %d |\n", name, r.EventsPerSecond(),
		float64(r.Requests)/r.Duration.Seconds(), r.Quantile(0.5).Round(10*time.Microsecond), r.Quantile(0.99).Round(10*time.Microsecond),
		r.Quantile(1).Round(10*time.Microsecond), m.cpuPerMillion(), m.loadgenCPUPerMillion(), m.peakRSSMiB, errs)
}

// measure starts the collector, warms it up, runs the load and reads the
// process's CPU time and peak RSS from /proc.
func measure(c collector, load loadgen.Config) (measurement, error) {
	return measureWith(c, load, nil)
}

// measureWith is measure, calling afterRun with the warm-up's and the run's
// reports before it stops the collector.
func measureWith(c collector, load loadgen.Config, afterRun func(warm, run loadgen.Report) error) (measurement, error) {
	p, err := start(c)
	if err != nil {
		return measurement{}, err
	}
	defer p.stop()
	load.URL = "http://" + p.intake + "/v1/logs"
	warm := load
	warm.Duration = 2 * time.Second
	warmRep, err := loadgen.Run(context.Background(), warm)
	if err != nil {
		return measurement{}, err
	}
	cpuBefore, err := cpuSeconds(p.cmd.Process.Pid)
	if err != nil {
		return measurement{}, err
	}
	selfBefore := ownCPUSeconds()
	rep, err := loadgen.Run(context.Background(), load)
	if err != nil {
		return measurement{}, err
	}
	selfAfter := ownCPUSeconds()
	cpuAfter, err := cpuSeconds(p.cmd.Process.Pid)
	if err != nil {
		return measurement{}, err
	}
	rss, err := procstatus.MiB(p.cmd.Process.Pid, "VmHWM")
	if err != nil {
		return measurement{}, err
	}
	m := measurement{report: rep, cpuSeconds: cpuAfter - cpuBefore, peakRSSMiB: rss, loadgenCPUSeconds: selfAfter - selfBefore}
	if afterRun != nil {
		if err := afterRun(warmRep, rep); err != nil {
			return measurement{}, err
		}
	}
	if c.name == peerFootfall {
		m.wantCounted = float64(warmRep.Truth.PageViews + rep.Truth.PageViews)
		m.counted = countedPageViews(p.metrics, load.Traffic.Sites, m.wantCounted)
	}
	return m, nil
}

// countedPageViews waits up to 10 s for the page views on the metrics
// endpoint to reach want (events wait allowed_lateness, the connector
// flushes every 250 ms), and returns what it shows then.
func countedPageViews(endpoint string, sites []string, want float64) float64 {
	got := 0.0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got = 0
		for _, site := range sites {
			v, _, err := promtext.Sum(endpoint, "footfall_page_views_total", `site="`+site+`"`)
			if err != nil {
				return -1
			}
			got += v
		}
		if got >= want {
			break
		}
	}
	return got
}

// eventToMetrics sends one page view at a time and times until the page view
// counter on the metrics endpoint shows it.
// With underLoad, other sites send 5,000 events/s meanwhile; without, the
// page view is the only traffic (a quiet site).
func eventToMetrics(c collector, samples int, underLoad bool) ([]time.Duration, error) {
	p, err := start(c)
	if err != nil {
		return nil, err
	}
	defer p.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if underLoad {
		background := loadgen.DefaultTraffic()
		background.Sites = []string{"bench-b", "bench-c"}
		go func() {
			_, _ = loadgen.Run(ctx, loadgen.Config{URL: "http://" + p.intake + "/v1/logs", Mode: loadgen.Batch, Senders: 4, Rate: 5000, Duration: time.Hour, Traffic: background})
		}()
	}
	var out []time.Duration
	type sent struct {
		rep loadgen.Report
		err error
	}
	for i := range samples {
		// A random phase against the collector's timers (owner tick,
		// connector flush), as real clicks have.
		time.Sleep(time.Duration(rand.Int64N(int64(500 * time.Millisecond)))) // #nosec G404 -- a bench's phase, not a secret
		before := pageViews(p.metrics)
		began := time.Now()
		// The visit may go on after its page view (a page-hide event after
		// a think time): the endpoint is watched meanwhile.
		done := make(chan sent, 1)
		go func() {
			rep, err := loadgen.Run(context.Background(), loadgen.Config{
				URL: "http://" + p.intake + "/v1/logs", Mode: loadgen.Beacon, Senders: 1, ActiveVisits: 1,
				Duration: 10 * time.Second, MaxVisits: 1, Traffic: oneBounce(),
			})
			done <- sent{rep, err}
		}()
		for pageViews(p.metrics) <= before {
			if time.Since(began) > time.Minute {
				return nil, errors.New("a page view did not show on the metrics endpoint within a minute")
			}
			time.Sleep(5 * time.Millisecond)
		}
		out = append(out, time.Since(began))
		r := <-done
		if r.err != nil {
			return nil, r.err
		}
		if r.rep.Truth.PageViews != 1 {
			return nil, fmt.Errorf("sample %d: the page view was not acknowledged: %s", i, r.rep)
		}
	}
	slices.Sort(out)
	return out, nil
}

func oneBounce() loadgen.Traffic {
	t := loadgen.DefaultTraffic()
	t.Sites = []string{"bench-a"}
	t.BounceShare = 1
	t.BotShare = 0
	return t
}

func pageViews(endpoint string) float64 {
	v, _, err := promtext.Value(endpoint, "footfall_page_views_total", `site="bench-a"`)
	if err != nil {
		return -1
	}
	return v
}

type process struct {
	cmd                      *exec.Cmd
	intake, metrics, dataDir string
}

func (p process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	_ = os.RemoveAll(p.dataDir)
}

func start(c collector) (process, error) {
	dataDir, err := os.MkdirTemp("", "footfall-bench-")
	if err != nil {
		return process{}, err
	}
	p := process{intake: freeAddr(), metrics: freeAddr(), dataDir: dataDir}
	health := freeAddr()
	args := c.args
	if len(args) == 0 {
		args = []string{"--config", c.config}
	}
	p.cmd = exec.Command(c.bin, args...) // #nosec G204 -- the binaries make bench built
	p.cmd.Env = append(os.Environ(),
		"FOOTFALL_INTAKE_ENDPOINT="+p.intake, "FOOTFALL_METRICS_ENDPOINT="+p.metrics,
		"FOOTFALL_HEALTH_ENDPOINT="+health, "FOOTFALL_DATA_DIR="+dataDir, "GOMAXPROCS=2")
	p.cmd.Env = append(p.cmd.Env, c.extraEnv...)
	logFile, err := os.Create(filepath.Join(dataDir, "collector.log"))
	if err != nil {
		return process{}, err
	}
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return process{}, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + health + "/")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The log is read before stop removes the data directory it is in.
	out, _ := os.ReadFile(filepath.Join(dataDir, "collector.log"))
	p.stop()
	return process{}, fmt.Errorf("%s did not become healthy:\n%s", c.name, out)
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ownCPUSeconds is this process's user and system time: the load
// generator's (and the honest-ack peer's sink, which is light).
func ownCPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// cpuSeconds reads user and system time of a process from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, err := strconv.ParseFloat(fields[11], 64)
	if err != nil {
		return 0, err
	}
	stime, err := strconv.ParseFloat(fields[12], 64)
	if err != nil {
		return 0, err
	}
	const clockTicks = 100 // USER_HZ on Linux
	return (utime + stime) / clockTicks, nil
}

func numCPU() int {
	b, _ := os.ReadFile("/proc/cpuinfo")
	return strings.Count(string(b), "\nprocessor") + 1
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return "unknown CPU"
}

// printMicro prints the Go benchmark lines of a go test -bench output as a table.
func printMicro(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Println("### Go micro-benchmarks (`go test -run '^$' -bench . -benchmem`)")
	fmt.Println()
	fmt.Println("| package | benchmark | iterations | figures |")
	fmt.Println("|---|---|---|---|")
	pkg := ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if rest, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(rest, "github.com/footfall-analytics/footfall/")
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 4 {
			continue
		}
		var figures []string
		for i := 2; i+1 < len(fields); i += 2 {
			figures = append(figures, fields[i]+" "+fields[i+1])
		}
		fmt.Printf("| %s | %s | %s | %s |\n", pkg, fields[0], fields[1], strings.Join(figures, ", "))
	}
	return scanner.Err()
}
