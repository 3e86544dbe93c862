// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector"
	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

// stateType names the storage each partition's sessionizer and aggregator
// are given: the partition's changelog store.
var stateType = component.MustNewType("kafkastream_state")

// partition is the work of one partition of the events topic: its own
// sessionizer feeding its own aggregator, both keeping their state in the
// partition's changelog store, so that nothing is shared between partitions
// and the numbers do not depend on which collector owns which partition.
type partition struct {
	id         int32
	store      *changelog.Store
	sessionize processor.Logs
	analytics  connector.Logs
	published  *publisher
	// recent are the records handed to sessionize lately, for a rebuild
	// after an abort; an abort's rebuild inherits them.
	recent *recentRecords

	stopOnce sync.Once
	stopErr  error
}

// startPartition builds and starts a partition's pipeline on the state in
// store; the sessionizer reads the records its write-ahead entries name
// from source. Its metrics reach next only through published, after the
// commit that makes what they count durable.
func startPartition(ctx context.Context, cfg *Config, set receiver.Settings, id int32, store *changelog.Store, source sourcelog.Reader, next consumer.Metrics, logs consumer.Logs) (*partition, error) {
	storageID := component.NewIDWithName(stateType, strconv.Itoa(int(id)))
	host := partitionHost{storageID: &storeExtension{store: store, source: source}}
	p := &partition{id: id, store: store, published: newPublisher(id, next)}

	analyticsCfg := cfg.WebAnalytics
	analyticsCfg.Storage = &storageID
	analytics, err := webanalyticsconnector.NewFactory().CreateLogsToMetrics(ctx, connector.Settings{
		ID:                component.NewIDWithName(component.MustNewType("webanalytics"), storageID.Name()),
		TelemetrySettings: set.TelemetrySettings,
		BuildInfo:         set.BuildInfo,
	}, &analyticsCfg, p.published)
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", id, err)
	}
	sessionizeCfg := cfg.Sessionize
	sessionizeCfg.Storage = &storageID
	sessionize, err := sessionizeprocessor.NewFactory().CreateLogs(ctx, processor.Settings{
		ID:                component.NewIDWithName(component.MustNewType("sessionize"), storageID.Name()),
		TelemetrySettings: set.TelemetrySettings,
		BuildInfo:         set.BuildInfo,
	}, &sessionizeCfg, sessionizedTo(analytics, logs))
	if err != nil {
		return nil, fmt.Errorf("partition %d: %w", id, err)
	}
	p.sessionize, p.analytics = sessionize, analytics
	// As in a collector: the consumer first, so that the aggregator has
	// joined the sessionizer's checkpoints when the sessionizer restores.
	if err := analytics.Start(ctx, host); err != nil {
		return nil, fmt.Errorf("partition %d: start aggregator: %w", id, err)
	}
	if err := sessionize.Start(ctx, host); err != nil {
		return nil, errors.Join(fmt.Errorf("partition %d: start sessionizer: %w", id, err), analytics.Shutdown(ctx))
	}
	return p, nil
}

// stop shuts the pipeline down; what it writes while stopping stays
// uncommitted unless a commit follows.
// It runs once: a revoke and a shutdown may both ask.
func (p *partition) stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		p.stopErr = errors.Join(p.sessionize.Shutdown(ctx), p.analytics.Shutdown(ctx))
	})
	return p.stopErr
}

// close frees the partition's state once it is no longer owned: its store
// and its recent records.
func (p *partition) close() {
	p.store.Close()
	p.recent.release()
}

// partitionHost gives a partition's components its store as their storage.
type partitionHost map[component.ID]component.Component

func (h partitionHost) GetExtensions() map[component.ID]component.Component { return h }

// storeExtension is a partition's store as a storage extension. Each
// partition has its own, which also keys the aggregator's membership in the
// sessionizer's checkpoints (internal/cosave).
type storeExtension struct {
	component.StartFunc
	component.ShutdownFunc
	store  *changelog.Store
	source sourcelog.Reader
}

func (e *storeExtension) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	// The id carries the partition; the type alone keeps components apart
	// in the one store, and stays the same when the partition moves.
	return partitionClient{Client: e.store.Client(kind.String() + "/" + id.Type().String() + "/" + name), Reader: e.source}, nil
}

// partitionClient is a client of the partition's store that also reads
// records of the partition again (sourcelog): the sessionizer's
// write-ahead entries name their records in the events topic rather than
// holding a copy.
type partitionClient struct {
	storage.Client
	sourcelog.Reader
}

// sessionizedTo is where a partition's sessionized records go: the
// aggregator, and the logs pipeline when there is one.
func sessionizedTo(analytics connector.Logs, logs consumer.Logs) consumer.Logs {
	if logs == nil {
		return analytics
	}
	return bothLogs{analytics, logs}
}

// bothLogs hands the records to the aggregator, which only reads them, then
// to the logs pipeline. A refusal by either makes the sessionizer deliver
// them again; the aggregator recognises records it already counted.
type bothLogs [2]consumer.Logs

func (bothLogs) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (b bothLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if err := b[0].ConsumeLogs(ctx, ld); err != nil {
		return err
	}
	return b[1].ConsumeLogs(ctx, ld)
}
