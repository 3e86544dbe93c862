// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// `make demo` as the README gives it (on the built binary, on free ports):
// the demo site serves its page, and the collector beside it serves the
// tracker the page loads.
func TestE2EMakeDemoServesItsPage(t *testing.T) {
	bin := footfallBinary(t)
	site, intake := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	cmd := exec.Command("make", "-C", root, "demo-prebuilt", // #nosec G204 -- the test's own make target
		"BIN="+bin,
		"DEMO_LISTEN="+site,
		"DEMO_INTAKE="+intake,
		"DEMO_METRICS=127.0.0.1:"+freePort(t),
		"DEMO_LIVEVIEW=127.0.0.1:"+freePort(t))
	cmd.Env = append(os.Environ(),
		"FOOTFALL_DATA_DIR="+t.TempDir(),
		"FOOTFALL_HEALTH_ENDPOINT=127.0.0.1:"+freePort(t),
		"FOOTFALL_TELEMETRY_PORT="+freePort(t))
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	// Its own process group, so that the collector and the demo server
	// stop with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})

	get := func(url string) (int, string) {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, http.NoBody)
		if err != nil {
			return 0, ""
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	var page string
	served := assert.Eventually(t, func() bool {
		var status int
		status, page = get("http://" + site + "/")
		return status == http.StatusOK
	}, 3*time.Minute, 250*time.Millisecond, "the demo site never served its page")
	if !served {
		t.Fatalf("make demo-prebuilt printed:\n%s", output.String())
	}
	assert.Contains(t, page, "http://"+intake+"/footfall.js", "the page loads the tracker from the collector")
	status, tracker := get("http://" + intake + "/footfall.js")
	assert.Equal(t, http.StatusOK, status, "the collector serves the tracker")
	assert.NotEmpty(t, tracker)
	assert.NotContains(t, output.String(), "command not found")
}
