package packages

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const repo = "../../.."

// The deb and the rpm, read back with readers written from the formats'
// specifications, list what a VM install needs, with the modes, owners,
// config markings and scripts docs/deploy.md describes. A stand-in
// binary: what is tested is the packaging (the image test runs the real
// one).
func TestPackages(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "footfall")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\necho stand-in\n"), 0o600))
	mtime := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	configs, err := filepath.Glob(filepath.Join(repo, "config", "*.yaml"))
	require.NoError(t, err)
	for format, read := range map[string]func([]byte) (inspected, error){"deb": readDeb, "rpm": readRPM} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			path, err := Build(Spec{Repo: repo, Version: "0.1.0", Arch: "amd64", Binary: bin, MTime: mtime}, format, dir)
			require.NoError(t, err)
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			pkg, err := read(raw)
			require.NoError(t, err)

			assert.Equal(t, "footfall", pkg.metadata["name"])
			assert.Equal(t, "0.1.0", pkg.metadata["version"])
			assert.Equal(t, map[string]string{"deb": "amd64", "rpm": "x86_64"}[format], pkg.metadata["architecture"])
			assert.Contains(t, pkg.metadata["depends"], map[string]string{"deb": "passwd", "rpm": "shadow-utils"}[format])

			want := map[string]file{
				"/usr/bin/footfall":                        {mode: 0o755, owner: "root", group: "root"},
				"/etc/footfall/config.yaml":                {mode: 0o644, owner: "root", group: "root", config: true},
				"/etc/footfall/footfall.conf":              {mode: 0o640, owner: "root", group: "footfall", config: true},
				"/lib/systemd/system/footfall.service":     {mode: 0o644, owner: "root", group: "root"},
				"/usr/share/footfall/country.mmdb":         {mode: 0o644, owner: "root", group: "root"},
				"/usr/share/footfall/country.mmdb.LICENSE": {mode: 0o644, owner: "root", group: "root"},
				"/var/lib/footfall":                        {mode: 0o40750, owner: "footfall", group: "footfall"},
			}
			for _, c := range configs {
				want["/usr/share/footfall/config/"+filepath.Base(c)] = file{mode: 0o644, owner: "root", group: "root"}
			}
			for p, w := range want {
				got, ok := pkg.files[p]
				if !assert.True(t, ok, "%s is not in the %s", p, format) {
					continue
				}
				assert.Equal(t, w.mode, got.mode, "%s mode %o", p, got.mode)
				assert.Equal(t, w.owner, got.owner, "%s owner", p)
				assert.Equal(t, w.group, got.group, "%s group", p)
				assert.Equal(t, w.config, got.config, "%s is a config file", p)
				assert.Equal(t, mtime, got.mtime, "%s time", p)
			}

			assert.Contains(t, pkg.scripts["preinstall"], "useradd --system --gid footfall")
			assert.Contains(t, pkg.scripts["postinstall"], "systemctl enable footfall.service")
			assert.Contains(t, pkg.scripts["preremove"], "systemctl stop footfall.service")
		})
	}
}

// The unit runs the binary as the footfall user with the options file,
// writes nowhere but its state directory, and the options file starts
// the config the package installs.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join(repo, "deploy", "packages", "footfall.service"))
	require.NoError(t, err)
	for _, line := range []string{
		"User=footfall", "Group=footfall",
		"EnvironmentFile=/etc/footfall/footfall.conf",
		"ExecStart=/usr/bin/footfall $FOOTFALL_OPTIONS",
		"StateDirectory=footfall", "ProtectSystem=strict", "NoNewPrivileges=true",
		"WantedBy=multi-user.target",
	} {
		assert.Contains(t, strings.Split(string(unit), "\n"), line)
	}
	conf, err := os.ReadFile(filepath.Join(repo, "deploy", "packages", "footfall.conf"))
	require.NoError(t, err)
	assert.Contains(t, string(conf), `FOOTFALL_OPTIONS="--config=/etc/footfall/config.yaml"`)
}
