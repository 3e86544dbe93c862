// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package archiveexporter

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/metadatatest"
	"github.com/footfall-analytics/footfall/internal/storagetest"
)

// Through the exporterhelper with a persistent queue: while the destination
// cannot be written, the batch waits in the queue; once it can, the batch's
// files appear, whole.
func TestAnOutageWithAPersistentQueueLosesNothing(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "archive")
	require.NoError(t, os.WriteFile(dest, []byte("not a directory yet"), 0o600))

	storageID := component.MustNewID("file_storage")
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = filepath.Join(dest, "sub")
	queue := cfg.QueueBatchConfig.Get()
	queue.StorageID = &storageID
	queue.Batch.Get().FlushTimeout = 10 * time.Millisecond
	queue.Batch.Get().MinSize = 1
	cfg.BackOffConfig.InitialInterval = 10 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 20 * time.Millisecond
	cfg.BackOffConfig.MaxElapsedTime = 0 // retry until it works

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg)
	require.NoError(t, err)
	host := storagetest.Host{Extensions: map[component.ID]component.Component{storageID: storagetest.NewExtension()}}
	// Start fails while the directory cannot be made, as it should; make
	// start pass, then break the destination under it.
	require.NoError(t, os.Remove(dest))
	require.NoError(t, exp.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	require.NoError(t, os.RemoveAll(dest))
	require.NoError(t, os.WriteFile(dest, []byte("in the way"), 0o600))

	require.NoError(t, exp.ConsumeLogs(context.Background(), stream()), "accepted into the queue")
	require.Eventually(t, func() bool { return writeErrors(t, tel) >= 3 }, 10*time.Second, 10*time.Millisecond, "the batch is tried again")
	assert.NoDirExists(t, cfg.Directory)

	require.NoError(t, os.Remove(dest))
	require.NoError(t, os.MkdirAll(cfg.Directory, 0o750))
	require.Eventually(t, func() bool { return len(files(t, cfg.Directory)) == 4 }, 10*time.Second, 20*time.Millisecond,
		"the queued batch is written once the destination is back")
}

func writeErrors(t *testing.T, tel *componenttest.Telemetry) int64 {
	t.Helper()
	m, err := tel.GetMetric("otelcol_exporter_archive_write_errors")
	if err != nil {
		return 0
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}
