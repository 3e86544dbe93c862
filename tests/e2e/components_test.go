// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's table of components is what the built binary contains:
// `footfall components` and the table name the same components, kind by kind.
func TestE2EReadmeListsEveryComponent(t *testing.T) {
	out, err := exec.Command(footfallBinary(t), "components").Output() // #nosec G204 -- the test's own binary
	require.NoError(t, err)
	built := map[string][]string{}
	kindLine := regexp.MustCompile(`^(receivers|processors|connectors|exporters|extensions):$`)
	nameLine := regexp.MustCompile(`^\s+- name: (\S+)$`)
	kind := ""
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		line := scanner.Text()
		switch {
		case kindLine.MatchString(line):
			kind = kindLine.FindStringSubmatch(line)[1]
		case !strings.HasPrefix(line, " "):
			kind = "" // buildinfo, providers, ...
		case kind != "" && nameLine.MatchString(line):
			built[kind] = append(built[kind], nameLine.FindStringSubmatch(line)[1])
		}
	}
	require.Len(t, built, 5, "%s", out)

	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	listed := map[string][]string{}
	row := regexp.MustCompile(`^\| (receivers|processors|connectors|exporters|extensions) \| (.*) \|$`)
	name := regexp.MustCompile("`([a-z_]+)`")
	for _, line := range strings.Split(string(readme), "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			for _, n := range name.FindAllStringSubmatch(m[2], -1) {
				listed[m[1]] = append(listed[m[1]], n[1])
			}
		}
	}
	for kind, names := range built {
		slices.Sort(names)
		got := slices.Sorted(slices.Values(listed[kind]))
		assert.Equal(t, names, got, "README's %s: the binary has %v", kind, names)
	}
}
