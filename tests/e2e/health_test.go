// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A processing collector says not ready while Kafka is away, and ready
// again once it is back (config/processing.yaml's health check;
// processing-fast.yaml shortens its recovery_duration to 1 s).
func TestE2EProcessingHealthFollowsKafka(t *testing.T) {
	port, err := strconv.Atoi(freePort(t))
	require.NoError(t, err)
	dataDir := t.TempDir()
	kafka := startKafka(t, port, dataDir)
	processing := startProcessing(t, kafka.ListenAddrs()[0], "footfall-processing", "p1")
	require.Equal(t, http.StatusOK, healthStatus(processing.health))

	kafka.Close()
	// The health check answers 500 for a component in error past its
	// recovery_duration (503 while starting or stopping).
	assert.Eventually(t, func() bool { return healthStatus(processing.health) == http.StatusInternalServerError },
		30*time.Second, 100*time.Millisecond, "not ready while Kafka is away")

	startKafka(t, port, dataDir)
	assert.Eventually(t, func() bool { return healthStatus(processing.health) == http.StatusOK },
		30*time.Second, 100*time.Millisecond, "ready once Kafka is back")

	processing.stop()
	log, err := os.ReadFile(filepath.Clean(processing.log))
	require.NoError(t, err)
	// One warning says the outage: that of the failure that came first, a
	// dial, the topic check at start, or the request the broker dropped
	// when it went away.
	said := false
	for _, warning := range []string{"Kafka cannot be reached", "The Kafka topics cannot be checked", "Fetching from the events topic failed"} {
		said = said || strings.Contains(string(log), warning)
	}
	assert.True(t, said, "the outage is logged:\n%s", log)
	assert.Contains(t, string(log), "Kafka reached")
}

// healthStatus is the status code of the health endpoint, 0 when it does
// not answer.
func healthStatus(addr string) int {
	resp, err := http.Get("http://" + addr + "/") // #nosec G107 -- the test's own collector
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}
