// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/footfall-analytics/footfall/internal/kafkaclient"
)

// newClient is an idempotent producer with acks from all in-sync replicas,
// partitioning keys as the contrib Kafka exporter does by default (sarama's
// FNV-1a), with franz-go's buffer bounded by max_in_flight_bytes and every
// message's delivery by timeout.
func newClient(ctx context.Context, cfg *Config) (*kgo.Client, error) {
	opts, err := kafkaclient.Options(ctx, cfg.ClientConfig, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	codec, err := compression(cfg.Producer.Compression)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		kgo.DefaultProduceTopic(cfg.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))),
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(cfg.Producer.Linger),
		kgo.ProducerBatchMaxBytes(int32(cfg.Producer.MaxMessageBytes)), // #nosec G115 -- configkafka keeps it in int32
		kgo.MaxBufferedBytes(int(cfg.MaxInFlightBytes)),
		kgo.RecordDeliveryTimeout(cfg.Timeout),
		kgo.ProduceRequestTimeout(cfg.Timeout),
	)
	if cfg.Producer.AllowAutoTopicCreation {
		opts = append(opts, kgo.AllowAutoTopicCreation())
	}
	return kgo.NewClient(opts...)
}

func fnv32a(b []byte) uint32 {
	h := fnv.New32a()
	_, _ = h.Write(b)
	return h.Sum32()
}

func compression(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("producer::compression %q is not one of none, gzip, snappy, lz4, zstd", name)
}

// errNotAcknowledged is a request Kafka did not acknowledge within
// spill_after.
var errNotAcknowledged = errors.New("kafka did not acknowledge within spill_after")

// produce hands msgs to franz-go and waits for every acknowledgement, up
// to spill_after. The messages carry no request context: cancelling one
// fails every message buffered for its partition, and a client hanging up
// must not do that to other requests. A message that outlives its request
// (spilled after the deadline) may still reach Kafka: a duplicate the
// processing tier drops by event id.
func (e *kafkaSpillExporter) produce(msgs []message) error {
	results := make(chan error, len(msgs))
	for _, m := range msgs {
		e.client.TryProduce(context.Background(), &kgo.Record{Key: m.key, Value: m.value}, func(_ *kgo.Record, err error) {
			results <- err
		})
	}
	deadline := e.after(e.cfg.SpillAfter)
	for range msgs {
		select {
		case err := <-results:
			if err != nil {
				return err
			}
		case <-deadline:
			return errNotAcknowledged
		}
	}
	return nil
}

var errStopped = errors.New("the exporter is shutting down")

// produceAll hands msgs to franz-go in order and returns a function that
// waits for every acknowledgement (franz-go's delivery timeout bounds it).
// The drainer's messages must keep their order, so it waits for room in
// franz-go's buffer rather than failing one message and sending the next;
// ctx (cancelled at shutdown) ends the wait.
func (e *kafkaSpillExporter) produceAll(ctx context.Context, msgs []message) func() error {
	results := make(chan error, len(msgs))
	for _, m := range msgs {
		e.client.Produce(ctx, &kgo.Record{Key: m.key, Value: m.value}, func(_ *kgo.Record, err error) {
			results <- err
		})
	}
	return func() error {
		var first error
		for range msgs {
			select {
			case err := <-results:
				if err != nil && first == nil {
					first = err
				}
			case <-e.stop:
				// An idempotent producer keeps a message it has sent until
				// the broker answers: at shutdown the wait ends here, and
				// the spill keeps the entries for the next start.
				return errStopped
			}
		}
		return first
	}
}
