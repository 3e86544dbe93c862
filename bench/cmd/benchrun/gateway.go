// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/bench/loadgen"
)

// The gateway peers: each alone, into its own in-process Kafka (kfake, one
// broker, on the same cores), acks=all.
const (
	peerGateway         = "footfall gateway (config/gateway.yaml: ack on Kafka, spill only while it is away)"
	peerKafkaNoQueue    = "stock, OTLP → contrib Kafka exporter, acks=all, no local queue"
	peerKafkaFileQueue  = "stock, same, with the fsync'd file_storage persistent queue"
	gatewayEventsTopic  = "footfall.events"
	gatewayPartitions   = 4
	gatewaySaltSecret   = "footfall-benchmark-salt-secret-of-32-bytes"
	gatewayDrainTimeout = 30 * time.Second
)

// gatewayConfig is the footfall gateway's config (-gateway-config).
var gatewayConfig = "config/gateway.yaml"

func gatewayPeers(footfallBin, baselineBin string) []collector {
	return []collector{
		{name: peerGateway, bin: footfallBin, args: []string{
			"--config", gatewayConfig, "--config", "config/kafka-plaintext.yaml", "--config", "bench/gateway-bench.yaml",
		}, extraEnv: []string{"FOOTFALL_SALT_SECRET=" + gatewaySaltSecret}},
		{name: peerKafkaNoQueue, bin: baselineBin, config: "bench/baseline/kafka-no-queue.yaml"},
		{name: peerKafkaFileQueue, bin: baselineBin, args: []string{
			"--config", "bench/baseline/kafka-no-queue.yaml", "--config", "bench/baseline/kafka-persistent-queue.yaml",
		}},
	}
}

// gatewayMeasurement is a measurement and what the topic holds after it.
type gatewayMeasurement struct {
	measurement
	// inTopic is the log records in the topic after the run; acked the
	// events the peer acknowledged, warm-up included, crawlers' excepted
	// for footfall (its receiver drops them).
	inTopic, acked int
}

func measureGateway(c collector, load loadgen.Config) (gatewayMeasurement, error) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(gatewayPartitions, gatewayEventsTopic))
	if err != nil {
		return gatewayMeasurement{}, err
	}
	defer cluster.Close()
	broker := cluster.ListenAddrs()[0]
	c.extraEnv = append(c.extraEnv, "FOOTFALL_KAFKA_BROKER="+broker, "FOOTFALL_KAFKA_BROKERS=["+broker+"]")
	var inTopic, acked int
	// The topic is read before the peer stops: a peer with a queue on disk
	// may still be sending it.
	m, err := measureWith(c, load, func(warm, run loadgen.Report) error {
		acked = warm.EventsAcked + run.EventsAcked
		if c.name == peerGateway {
			acked -= warm.Truth.BotEvents + run.Truth.BotEvents
		}
		var err error
		inTopic, err = countTopicRecords(broker, acked)
		return err
	})
	if err != nil {
		return gatewayMeasurement{}, err
	}
	return gatewayMeasurement{measurement: m, inTopic: inTopic, acked: acked}, nil
}

// countTopicRecords reads the events topic until it holds want log records
// or a while passes, and returns how many it holds.
func countTopicRecords(broker string, want int) (int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(gatewayEventsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), gatewayDrainTimeout)
	defer cancel()
	var unmarshaler plog.ProtoUnmarshaler
	n := 0
	for n < want {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		var decodeErr error
		fetches.EachRecord(func(r *kgo.Record) {
			ld, err := unmarshaler.UnmarshalLogs(r.Value)
			if err != nil {
				decodeErr = err
				return
			}
			n += ld.LogRecordCount()
		})
		if decodeErr != nil {
			return n, decodeErr
		}
	}
	return n, nil
}

// runGateways measures the gateway peers and prints their table.
func runGateways(footfallBin, baselineBin string, batch loadgen.Config, rounds int) error {
	peers := gatewayPeers(footfallBin, baselineBin)
	results := map[string][]gatewayMeasurement{}
	for round := range rounds {
		for _, c := range peers {
			m, err := measureGateway(c, batch)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round+1, c.name, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %s batch: %s; %d of %d acknowledged events in the topic\n", round+1, c.name, m.report, m.inTopic, m.acked)
			results[c.name] = append(results[c.name], m)
		}
	}
	fmt.Printf("\n### Gateway tier into Kafka (kfake in the load generator's process, same cores, acks=all, batches of 20, %v per run)\n\n", batch.Duration)
	fmt.Println("| run | events/s acked | requests/s | ack p50 | ack p99 | ack max | CPU s per 1M events | loadgen+Kafka CPU s per 1M events | peak RSS MiB | errors |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for _, c := range peers {
		for i, m := range results[c.name] {
			printRow(fmt.Sprintf("%s, round %d", c.name, i+1), m.measurement)
		}
	}
	fmt.Println()
	for _, c := range peers {
		for i, m := range results[c.name] {
			verdict := "all there"
			if m.inTopic < m.acked {
				verdict = fmt.Sprintf("%d MISSING", m.acked-m.inTopic)
			}
			fmt.Printf("%s, round %d: %d acknowledged events, %d log records in the topic (%s).\n", c.name, i+1, m.acked, m.inTopic, verdict)
		}
	}
	measurements := func(name string) []measurement {
		var out []measurement
		for _, m := range results[name] {
			out = append(out, m.measurement)
		}
		return out
	}
	rate := func(name string) float64 {
		return best(measurements(name), func(m measurement) float64 { return m.report.EventsPerSecond() })
	}
	cpu := func(name string) float64 {
		return best(measurements(name), func(m measurement) float64 { return -m.cpuPerMillion() })
	}
	fmt.Println()
	fmt.Println("The footfall gateway as a share of each stock gateway, best rounds (targets: ≥ 0.5× the no-queue peer's events/s, ≤ 2.5× its CPU per event):")
	fmt.Println()
	fmt.Println("| peer | footfall events/s ÷ peer's | footfall CPU per event ÷ peer's |")
	fmt.Println("|---|---|---|")
	for _, c := range peers[1:] {
		fmt.Printf("| %s | %.2f× | %.2f× |\n", c.name, rate(peerGateway)/rate(c.name), cpu(peerGateway)/cpu(c.name))
	}
	return nil
}
