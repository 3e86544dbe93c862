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
		"FOOTFALL_DATA_DIR="+t.TempDir(),
		"FOOTFALL_SALT_SECRET=a-salt-secret-of-at-least-32-bytes!!",
		"FOOTFALL_LIVEVIEW_PASSWORD=correct horse battery",
		"FOOTFALL_KAFKA_USERNAME=footfall",
		"FOOTFALL_KAFKA_PASSWORD=a-scram-password",
	)
	validate := func(env []string, configs ...string) (string, error) {
		args := []string{"validate"}
		for _, c := range configs {
			if strings.HasPrefix(c, "--") {
				args = append(args, c)
			} else {
				args = append(args, "--config", filepath.Join("..", "..", "config", c))
			}
		}
		cmd := exec.Command(bin, args...) // #nosec G204 -- the test's own binary and configs
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	for _, set := range configSets(t) {
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
	assert.Contains(t, out, "FOOTFALL_LIVEVIEW_PASSWORD", "validate names the variable to set")

	// A country database it cannot open and a data directory it cannot
	// write fail validate, naming the variable, not the start.
	out, err = validate(append(env, "FOOTFALL_GEOIP_DATABASE="+filepath.Join(t.TempDir(), "missing.mmdb")), "default.yaml")
	require.Error(t, err)
	assert.Contains(t, out, "FOOTFALL_GEOIP_DATABASE")
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	out, err = validate(append(env, "FOOTFALL_DATA_DIR="+notADir), "single.yaml")
	require.Error(t, err)
	assert.Contains(t, out, notADir+" is not a directory")
	assert.Contains(t, out, "FOOTFALL_DATA_DIR")

	// The live view's password never crosses a network in the clear.
	out, err = validate(append(env, "FOOTFALL_LIVEVIEW_ENDPOINT=0.0.0.0:4320"), "single.yaml")
	require.Error(t, err)
	assert.Contains(t, out, "sends the password in the clear")
	out, err = validate(append(env, "FOOTFALL_LIVEVIEW_ENDPOINT=0.0.0.0:4320", "FOOTFALL_LIVEVIEW_BEHIND_TLS_PROXY=true"), "single.yaml")
	require.NoError(t, err, out)

	// The brokers are never reached without credentials (TLS and SCRAM),
	// unless the plaintext overlay says so.
	var noKafkaCredentials []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "FOOTFALL_KAFKA_USERNAME=") && !strings.HasPrefix(kv, "FOOTFALL_KAFKA_PASSWORD=") {
			noKafkaCredentials = append(noKafkaCredentials, kv)
		}
	}
	processing := append([]string{"processing.yaml"}, shippedFlags(t, "processing.yaml")...)
	out, err = validate(noKafkaCredentials, "gateway.yaml")
	require.Error(t, err)
	assert.Contains(t, out, "username")
	out, err = validate(noKafkaCredentials, processing...)
	require.Error(t, err)
	assert.Contains(t, out, "FOOTFALL_KAFKA_USERNAME and FOOTFALL_KAFKA_PASSWORD", "validate names the variables to set")

	// The processing tier's health follows component status, which the
	// health check does only behind its feature gate: without the flag,
	// validate names it.
	out, err = validate(env, "processing.yaml")
	require.Error(t, err)
	assert.Contains(t, out, "--feature-gates=+extension.healthcheck.useComponentStatus")
}

// shippedFlags are the flags config/sets.txt runs config with (alone).
func shippedFlags(t *testing.T, config string) []string {
	t.Helper()
	for _, set := range configSets(t) {
		if set[0] == config {
			var flags []string
			for _, word := range set {
				if strings.HasPrefix(word, "--") {
					flags = append(flags, word)
				}
			}
			return flags
		}
	}
	t.Fatalf("config/sets.txt does not run %s", config)
	return nil
}

// configSets reads config/sets.txt: the shipped configurations as they
// are run, one set of files merged in order (and flags) per line.
func configSets(t *testing.T) [][]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "sets.txt"))
	require.NoError(t, err)
	var sets [][]string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			sets = append(sets, strings.Fields(line))
		}
	}
	require.NotEmpty(t, sets)
	return sets
}
