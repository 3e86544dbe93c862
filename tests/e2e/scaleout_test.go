// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/footfall-analytics/footfall/internal/visitcorpus"
)

const corpusPartitions = 4

// produceCorpus writes records to their partitions at a steady pace, as
// gateways would.
func produceCorpus(t *testing.T, brokers string, records []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	for i := 0; i < len(records); i += 20 {
		require.NoError(t, cl.ProduceSync(context.Background(), records[i:min(i+20, len(records))]...).FirstErr())
		time.Sleep(10 * time.Millisecond) // pacing only: nothing is timed
	}
}

// waitForGroupLag waits until group has committed every record of the
// events topic.
func waitForGroupLag(t *testing.T, brokers, group string) {
	t.Helper()
	require.Eventually(t, func() bool {
		lag, err := visitcorpus.Lag(context.Background(), brokers, eventsTopic, group)
		return err == nil && lag == 0
	}, 120*time.Second, 100*time.Millisecond, "the group never caught up")
}

// requireCorpusCounted waits until the collectors' endpoints show the ground
// truth: per partition the largest value any of them publishes, summed, as
// the dashboards take it.
func requireCorpusCounted(t *testing.T, truth map[string]float64, endpoints ...string) {
	t.Helper()
	got := map[string]float64{}
	counted := assert.Eventually(t, func() bool {
		for _, m := range visitcorpus.Counted {
			got[m.OTel] = 0
			for p := range corpusPartitions {
				largest := 0.0
				for _, e := range endpoints {
					labels := []string{`site="` + visitcorpus.Site + `"`, `partition="` + strconv.Itoa(p) + `"`}
					if m.LabelName != "" {
						labels = append(labels, m.LabelName+`="`+m.LabelValue+`"`)
					}
					largest = max(largest, scrapeSum(e, m.Prometheus, labels...))
				}
				got[m.OTel] += largest
			}
		}
		for _, m := range visitcorpus.Counted {
			if got[m.OTel] != truth[m.OTel] {
				return false
			}
		}
		return true
	}, 60*time.Second, 250*time.Millisecond)
	if !counted {
		t.Fatalf("published %v, ground truth %v", got, truth)
	}
}

// requireEachPartitionExportedOnce waits until every partition's series are
// on exactly one of the endpoints: a collector withdraws the series of a
// partition it lost.
func requireEachPartitionExportedOnce(t *testing.T, endpoints ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		for p := range corpusPartitions {
			exporters := 0
			for _, e := range endpoints {
				if scrapeSum(e, "footfall_page_views_total", `partition="`+strconv.Itoa(p)+`"`) >= 0 {
					exporters++
				}
			}
			if exporters != 1 {
				return false
			}
		}
		return true
	}, 60*time.Second, 250*time.Millisecond, "each partition is exported by one collector")
}

// Two processing collectors on a 4-partition topic; one is killed (SIGKILL)
// mid-stream, a third joins, the second leaves gracefully: the survivor's
// numbers equal the ground truth exactly, with no session split (the
// sessions count would be higher) and no event counted twice. A fresh
// collector started after the changelog is compacted restores the same
// numbers.
func TestE2EKafkaProcessingFailoverIsExact(t *testing.T) {
	kafka := startKafka(t, 0, t.TempDir())
	brokers := kafka.ListenAddrs()[0]
	const group = "footfall-processing"
	c := visitcorpus.New(150, eventsTopic, corpusPartitions)
	third := len(c.Records) / 3

	first := startProcessing(t, brokers, group, "p1")
	second := startProcessing(t, brokers, group, "p2")
	produceCorpus(t, brokers, c.Records[:third/2])
	waitForGroupLag(t, brokers, group)
	// The kill lands on a group both collectors have joined. One killed
	// while the group rebalances holds the rebalance for rebalance_timeout
	// under kfake, where Kafka expires it after session_timeout
	// (testdata/processing-fast.yaml).
	require.Eventually(t, func() bool { return scrapeSum(second.metrics, "footfall_page_views_total") >= 0 },
		60*time.Second, 250*time.Millisecond, "the second collector owns partitions")
	requireEachPartitionExportedOnce(t, first.metrics, second.metrics)
	produceCorpus(t, brokers, c.Records[third/2:third])
	first.kill() // mid-stream: its last transaction may be open

	produceCorpus(t, brokers, c.Records[third:2*third])
	third3 := startProcessing(t, brokers, group, "p3")
	produceCorpus(t, brokers, c.Records[2*third:len(c.Records)-corpusPartitions])
	requireEachPartitionExportedOnce(t, second.metrics, third3.metrics)
	second.stop()
	produceCorpus(t, brokers, c.Records[len(c.Records)-corpusPartitions:])
	waitForGroupLag(t, brokers, group)
	requireCorpusCounted(t, c.Truth, third3.metrics)

	kafka.Compact()
	fresh := startProcessing(t, brokers, group, "p4")
	third3.stop()
	waitForGroupLag(t, brokers, group)
	requireCorpusCounted(t, c.Truth, fresh.metrics)
}
