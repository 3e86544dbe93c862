package image

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runContainer starts the image's own files as a container runtime would:
// in a mount and PID namespace with a fresh /proc, chrooted into the
// unpacked layers, as user 10001, with the image's entrypoint, command and
// environment (the ports moved to free ones, as a runtime's network
// namespace would make them free). The collector must start, serve the
// tracker, take a page view from the configured site's origin, count it on
// the metrics endpoint, write its state under /var/lib/footfall as its own
// user, and stop cleanly on SIGTERM. It needs root (to chroot and mount);
// CI runs as root, and under CI=true a machine that cannot fails the test.
func runContainer(t *testing.T, root string) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("running the image's files needs root (chroot and a mount namespace)")
		}
		t.Skip("running the image's files needs root (chroot and a mount namespace)")
	}
	unshare, err := exec.LookPath("unshare")
	require.NoError(t, err, "unshare (util-linux)")
	chroot, err := exec.LookPath("chroot")
	require.NoError(t, err, "chroot (coreutils)")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "proc"), 0o550))

	health, intake, metrics, liveview, telemetry := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	env := append(slices.Clone(Env),
		"FOOTFALL_LIVEVIEW_PASSWORD=correct horse battery",
		"FOOTFALL_HEALTH_ENDPOINT=127.0.0.1:"+health,
		"FOOTFALL_INTAKE_ENDPOINT=127.0.0.1:"+intake,
		"FOOTFALL_METRICS_ENDPOINT=127.0.0.1:"+metrics,
		"FOOTFALL_LIVEVIEW_ENDPOINT=localhost:"+liveview,
		"FOOTFALL_TELEMETRY_PORT="+telemetry,
	)
	args := []string{
		"--mount", "--pid", "--fork", "--kill-child=SIGKILL", "--mount-proc=" + filepath.Join(root, "proc"),
		chroot, "--userspec=10001:10001", root, BinaryPath, "--config", DefaultConfig,
	}
	// The environment is the image's, PATH included: the tools are named
	// by their paths.
	cmd := exec.Command(unshare, args...)
	cmd.Env = env
	// A file, not a pipe: Wait must not wait on a copy the collector holds.
	log := logFile(filepath.Join(t.TempDir(), "collector.log"))
	f, err := os.Create(string(log))
	require.NoError(t, err)
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped { // unshare's death SIGKILLs the collector (--kill-child)
			_ = cmd.Process.Kill()
			t.Logf("the collector was killed: %v", <-exited)
		}
	}()

	waitFor(t, exited, log, "health", func() bool { return get("http://127.0.0.1:"+health+"/") == http.StatusOK })
	assert.Equal(t, http.StatusOK, get("http://127.0.0.1:"+intake+"/footfall.js"), "the tracker is served")

	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+intake+"/api/event",
		strings.NewReader(`{"name":"pageview","url":"https://www.example.com/pricing","domain":"www.example.com"}`))
	require.NoError(t, err)
	req.Header.Set("Origin", "https://www.example.com")
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "a page view from the configured site")

	waitFor(t, exited, log, "the page view on the metrics endpoint", func() bool {
		return pageViews(t, "http://127.0.0.1:"+metrics+"/metrics") == "1"
	})
	info, err := os.Stat(filepath.Join(root, DataDir, "wal"))
	require.NoError(t, err, "the write-ahead log is under the data directory")
	assert.Equal(t, uint32(UID), info.Sys().(*syscall.Stat_t).Uid, "written by the collector's user")

	// SIGTERM to the collector, as a runtime stops a container; unshare
	// exits with its status.
	collector := childOf(t, cmd.Process.Pid)
	require.NoError(t, syscall.Kill(collector, syscall.SIGTERM))
	select {
	case err := <-exited:
		stopped = true
		assert.NoError(t, err, "a clean stop on SIGTERM:\n%s", log)
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit 30 s after SIGTERM:\n%s", log)
	}
}

// childOf is the one child process of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	require.NoError(t, err)
	fields := strings.Fields(string(raw))
	require.Len(t, fields, 1, "unshare has one child")
	child, err := strconv.Atoi(fields[0])
	require.NoError(t, err)
	return child
}

// logFile prints as its content, for failure messages.
type logFile string

func (l logFile) String() string {
	raw, _ := os.ReadFile(string(l))
	return string(raw)
}

// pageViews is the value of the example site's page view counter, or "".
func pageViews(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec // the collector under test
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "footfall_page_views_total{") && strings.Contains(line, `site="example"`) {
			fields := strings.Fields(line)
			return fields[len(fields)-1]
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return ""
}

func get(url string) int {
	resp, err := http.Get(url) //nolint:gosec // the collector under test
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond for up to 30 s, failing early if the process exits.
func waitFor(t *testing.T, exited chan error, log fmt.Stringer, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the collector exited (%v) before %s:\n%s", err, what, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30 s:\n%s", what, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	require.NoError(t, err)
	return port
}
