// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every configuration the project ships loads and validates in the built
// distribution, with the environment its comments ask for; and the
// production single-node config refuses to start its live view without a
// password.
func TestE2EShippedConfigsValidate(t *testing.T) {
	bin := footfallBinary(t)
	env := append(os.Environ(),
		"FOOTFALL_SALT_SECRET=a-salt-secret-of-at-least-32-bytes!!",
		"FOOTFALL_LIVEVIEW_PASSWORD=correct horse battery",
	)
	validate := func(env []string, configs ...string) (string, error) {
		args := []string{"validate"}
		for _, c := range configs {
			args = append(args, "--config", filepath.Join("..", "..", "config", c))
		}
		cmd := exec.Command(bin, args...) // #nosec G204 -- the test's own binary and configs
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, set := range [][]string{
		{"default.yaml"},
		{"single.yaml"},
		{"single.yaml", "single-kafka.yaml"},
		{"gateway.yaml"},
		{"processing.yaml"},
		{"processing.yaml", "processing-elasticsearch.yaml"},
		{"processing.yaml", "processing-archive.yaml"},
	} {
		t.Run(strings.Join(set, "+"), func(t *testing.T) {
			out, err := validate(env, set...)
			require.NoError(t, err, out)
		})
	}
	var noPassword []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "FOOTFALL_LIVEVIEW_PASSWORD=") {
			noPassword = append(noPassword, kv)
		}
	}
	out, err := validate(noPassword, "single.yaml")
	require.Error(t, err)
	assert.Contains(t, out, "basic_auth needs a username and a password")
}
