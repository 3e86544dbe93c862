// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/promtext"
)

// mountSmallDisk mounts a tmpfs of size for the test: a filesystem that
// fills. Under CI=true a machine that cannot mount fails the test.
func mountSmallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput() // #nosec G204 -- fixed arguments
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mounting a small filesystem: %v: %s", err, out)
		}
		t.Skipf("this machine cannot mount a small filesystem: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() }) // #nosec G204 -- fixed arguments
	return dir
}

// fill writes a file into dir until the filesystem is full, or until it
// holds limit bytes.
func fill(t *testing.T, dir string, limit int) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for written := 0; written < limit; written += len(chunk) {
		if _, err := f.Write(chunk); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "%v", err)
			break
		}
	}
	return path
}

// fatPageViews are n page views of about 12 KB each, incompressible, within
// the intake's limits (2 KB a value, 16 KiB an event).
func fatPageViews(prefix string, n int) plog.Logs {
	ld, _ := pageViewsN(prefix, n)
	for _, lr := range ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
		for i := range 6 {
			blob := make([]byte, 1000)
			_, _ = rand.Read(blob)
			lr.Attributes().PutStr(fmt.Sprint("blob_", i), hex.EncodeToString(blob))
		}
	}
	return ld
}

// loadUntil posts fat page views from senders until stop is closed, each
// request again until it is acknowledged, and counts what was acknowledged
// and what was refused.
type diskLoad struct {
	acked, refused atomic.Int64
	// refusedThenAcked is set once a request was acknowledged after some
	// were refused: the collector recovered.
	refusedThenAcked atomic.Bool
}

func (l *diskLoad) run(t *testing.T, c collector, senders int, stop <-chan struct{}) {
	var wg sync.WaitGroup
	var requestID atomic.Int64
	for s := range senders {
		wg.Go(func() {
			for {
				body := jsonBody(t, fatPageViews(fmt.Sprintf("fat-%d-%d", s, requestID.Add(1)), 20))
				for {
					select {
					case <-stop:
						return
					default:
					}
					resp, _ := c.post(t, "application/json", body, nil)
					if resp.StatusCode == http.StatusOK {
						l.acked.Add(20)
						if l.refused.Load() > 0 {
							l.refusedThenAcked.Store(true)
						}
						break
					}
					if !assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a full disk is a retryable refusal") {
						return
					}
					assert.NotEmpty(t, resp.Header.Get("Retry-After"))
					l.refused.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
}

// The disk under the write-ahead log and state fills while eight senders
// post: the intake answers 503 before it is full, checkpoints go on and
// truncate the log, and once space is freed the intake takes events again.
// A collector killed on a full disk comes up on it, refuses until space
// returns, then takes events. Every acknowledged event is counted once.
func TestE2EAFullDiskIsRecoveredFrom(t *testing.T) {
	disk := mountSmallDisk(t, "64m")
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	overlay := []string{filepath.Join("testdata", "small-disk.yaml")}
	c := startCollectorWith(t, server, disk, overlay)

	// Most of the disk taken by someone else: 10 MiB left.
	filler := fill(t, disk, 54<<20)
	load := &diskLoad{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { load.run(t, c, 8, stop); close(done) }()
	require.Eventually(t, func() bool { return load.refused.Load() > 0 }, 30*time.Second, 10*time.Millisecond, "the intake refuses before the disk is full")
	require.NoError(t, os.Remove(filler)) // space returns while traffic goes on
	require.Eventually(t, load.refusedThenAcked.Load, 30*time.Second, 10*time.Millisecond, "the intake takes events again")
	// Traffic goes on over the freed space, a given amount of it (about
	// 12 MB): how much a fixed time lets through depends on the machine,
	// and a write-ahead log grown past half this disk would keep it full
	// after the restart below (segments are deleted whole).
	ackedAtRecovery := load.acked.Load()
	require.Eventually(t, func() bool { return load.acked.Load()-ackedAtRecovery >= 1000 }, 60*time.Second, 10*time.Millisecond,
		"events are taken over the freed space")
	close(stop)
	<-done
	t.Logf("first phase: %d events acknowledged (%d after space returned), %d requests refused", load.acked.Load(), load.acked.Load()-ackedAtRecovery, load.refused.Load())
	assert.Greater(t, load.acked.Load()-ackedAtRecovery, int64(20*8), "events kept being taken after space returned")

	// Killed on a full disk, restarted on it.
	fill(t, disk, 1<<30)
	c.kill()
	first := c.log
	c = startCollectorWith(t, server, disk, overlay)
	resp, body := c.post(t, "application/json", jsonBody(t, fatPageViews("after-restart", 20)), nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "a full disk refuses: %s", body)
	require.NoError(t, os.Remove(filepath.Join(disk, "filler")))
	require.Eventually(t, func() bool {
		resp, _ := c.post(t, "application/json", jsonBody(t, fatPageViews("after-restart", 20)), nil)
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "space returned: events are taken again")
	acked := float64(load.acked.Load() + 20)

	require.Eventually(t, func() bool {
		v, _, err := promtext.Value(c.metrics, "footfall_page_views_total", `site="demo"`)
		return err == nil && v >= acked
	}, 30*time.Second, 100*time.Millisecond)
	time.Sleep(2 * time.Second)
	v, _, err := promtext.Value(c.metrics, "footfall_page_views_total", `site="demo"`)
	require.NoError(t, err)
	assert.InDelta(t, acked, v, 0, "every acknowledged event counted once")
	c.stop()
	// While the watermark held (the first collector), every checkpoint
	// found room; the second started on a disk someone else had filled to
	// the last byte, where nothing could be written until space returned.
	log, err := os.ReadFile(first)
	require.NoError(t, err)
	assert.False(t, strings.Contains(string(log), "no space left on device"), "a checkpoint failed for want of space under the watermark")
}
