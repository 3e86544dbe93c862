// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
)

// startFileStorage runs the contrib file_storage extension (bbolt, fsync on)
// in dir, as config/default.yaml does.
func startFileStorage(tb testing.TB, dir string) extension.Extension {
	tb.Helper()
	factory := filestorage.NewFactory()
	cfg := factory.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = dir
	cfg.FSync = true
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), cfg)
	require.NoError(tb, err)
	require.NoError(tb, ext.Start(context.Background(), componenttest.NewNopHost()))
	return ext
}

// The restart test again, on the storage extension the default config uses.
func TestRestartOnFileStorage(t *testing.T) {
	forEachWAL(t, testRestartOnFileStorage)
}

func testRestartOnFileStorage(t *testing.T, walDir string) {
	batches := stream(3, 15, 10*time.Second)
	want := runAll(t, batches)
	dir := t.TempDir()
	cut := len(batches) / 2

	run := func(batches [][]event, flush bool) plog.Logs {
		ext := startFileStorage(t, dir)
		cfg := storageConfigWith(walDir)
		cfg.FlushOnShutdown = flush
		h := start(t, cfg, ext, nil)
		for _, b := range batches {
			h.mustConsume(logsOf(b...))
		}
		h.shutdown()
		require.NoError(t, ext.Shutdown(context.Background()))
		return h.output()
	}
	first := run(batches[:cut], false)
	second := run(batches[cut:], true)
	assert.Equal(t, want, summary(joinLogs([]plog.Logs{first, second})))
}
