package image

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const repo = "../../.."

// build compiles the host architecture's binary and writes the image as
// make image does, into dir.
func build(t *testing.T, dir string) (Spec, v1.Hash) {
	t.Helper()
	ctx := context.Background()
	if _, err := os.Stat(filepath.Join(repo, "_build", "main.go")); err != nil {
		t.Fatalf("the distribution's sources are missing: run make build first (%v)", err)
	}
	spec, err := FromRepo(ctx, repo)
	require.NoError(t, err)
	bin := filepath.Join(dir, "footfall")
	require.NoError(t, Compile(ctx, filepath.Join(repo, "_build"), runtime.GOARCH, bin))
	spec.Binaries[runtime.GOARCH], err = os.ReadFile(bin)
	require.NoError(t, err)
	idx, err := Index(spec)
	require.NoError(t, err)
	require.NoError(t, WriteLayout(filepath.Join(dir, "oci"), idx, spec.Version))
	require.NoError(t, WriteArchive(filepath.Join(dir, "oci"), filepath.Join(dir, "image.oci.tar"), spec.Created))
	digest, err := idx.Digest()
	require.NoError(t, err)
	return spec, digest
}

// The image is built twice from one commit, binary included, and gives
// the same digest and the same archive bytes; read back from its layout,
// its config is what the docs promise; the binary taken out of its layers
// runs, and every shipped config inside it validates with the image's own
// environment, whose paths lead to files that are in the image.
func TestImage(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	spec, digest := build(t, first)
	_, again := build(t, second)
	require.Equal(t, digest, again, "two builds of one commit differ")
	a, err := os.ReadFile(filepath.Join(first, "image.oci.tar"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(second, "image.oci.tar"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(a, b), "two archives of one commit differ")

	img := readBack(t, filepath.Join(first, "oci"), digest)
	cf, err := img.ConfigFile()
	require.NoError(t, err)
	assertRunConfig(t, spec, cf)

	root := t.TempDir()
	owners := extract(t, img, root)
	assertFiles(t, root, owners)
	runBinary(t, root)
	t.Run("runs as a container would", func(t *testing.T) { runContainer(t, root) })
}

func readBack(t *testing.T, dir string, digest v1.Hash) v1.Image {
	t.Helper()
	top, err := layout.ImageIndexFromPath(dir)
	require.NoError(t, err)
	topManifest, err := top.IndexManifest()
	require.NoError(t, err)
	require.Len(t, topManifest.Manifests, 1)
	require.Equal(t, digest, topManifest.Manifests[0].Digest)
	assert.Equal(t, Repository+":0.1.0", topManifest.Manifests[0].Annotations["io.containerd.image.name"])
	idx, err := top.ImageIndex(digest)
	require.NoError(t, err)
	m, err := idx.IndexManifest()
	require.NoError(t, err)
	require.Len(t, m.Manifests, 1)
	require.Equal(t, v1.Platform{OS: "linux", Architecture: runtime.GOARCH}, *m.Manifests[0].Platform)
	img, err := idx.Image(m.Manifests[0].Digest)
	require.NoError(t, err)
	return img
}

func assertRunConfig(t *testing.T, spec Spec, cf *v1.ConfigFile) {
	t.Helper()
	assert.Equal(t, "linux", cf.OS)
	assert.Equal(t, runtime.GOARCH, cf.Architecture)
	assert.Equal(t, "10001:10001", cf.Config.User)
	assert.Equal(t, []string{"/usr/bin/footfall"}, cf.Config.Entrypoint)
	assert.Equal(t, []string{"--config", "/etc/footfall/single.yaml"}, cf.Config.Cmd)
	assert.Subset(t, cf.Config.Env, []string{
		"FOOTFALL_DATA_DIR=/var/lib/footfall",
		"FOOTFALL_GEOIP_DATABASE=/usr/share/footfall/country.mmdb",
		"FOOTFALL_HEALTH_ENDPOINT=0.0.0.0:13133",
	})
	var ports []string
	for p := range cf.Config.ExposedPorts {
		ports = append(ports, p)
	}
	assert.ElementsMatch(t, []string{"4319/tcp", "4320/tcp", "8888/tcp", "8889/tcp", "13133/tcp"}, ports)
	assert.Equal(t, map[string]struct{}{"/var/lib/footfall": {}}, cf.Config.Volumes)

	head, err := exec.Command("git", "-C", repo, "log", "-1", "--format=%H %ct").Output()
	require.NoError(t, err)
	rev, secs, _ := strings.Cut(strings.TrimSpace(string(head)), " ")
	if status, err := exec.Command("git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(status) > 0 {
		rev += "-dirty"
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	require.NoError(t, err)
	created := time.Unix(n, 0).UTC()
	assert.Equal(t, created, cf.Created.UTC())
	labels := cf.Config.Labels
	assert.Equal(t, rev, labels["org.opencontainers.image.revision"])
	assert.Equal(t, created.Format(time.RFC3339), labels["org.opencontainers.image.created"])
	assert.Equal(t, spec.Version, labels["org.opencontainers.image.version"])
	assert.Equal(t, "https://github.com/footfall-analytics/footfall", labels["org.opencontainers.image.source"])
	assert.NotEmpty(t, labels["org.opencontainers.image.licenses"])
}

type owner struct {
	uid  int
	mode os.FileMode
}

// extract flattens the image's layers into root (no ownership is applied:
// the test may not run as root), and returns each path's owner and mode
// as the layers have them.
func extract(t *testing.T, img v1.Image, root string) map[string]owner {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	owners := map[string]owner{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		name := "/" + strings.TrimSuffix(hdr.Name, "/")
		owners[name] = owner{uid: hdr.Uid, mode: hdr.FileInfo().Mode()}
		dst := filepath.Join(root, filepath.FromSlash(name))
		if hdr.Typeflag == tar.TypeDir {
			require.NoError(t, os.MkdirAll(dst, 0o750))
			continue
		}
		require.Equal(t, byte(tar.TypeReg), hdr.Typeflag, name)
		data, err := io.ReadAll(tr)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o750))
		require.NoError(t, os.WriteFile(dst, data, hdr.FileInfo().Mode().Perm()))
	}
	// As root, the files get the image's owners and modes, so that the
	// container run below sees what a runtime would unpack.
	if os.Geteuid() == 0 {
		for name, o := range owners {
			dst := filepath.Join(root, filepath.FromSlash(name))
			require.NoError(t, os.Lchown(dst, o.uid, o.uid))
			require.NoError(t, os.Chmod(dst, o.mode))
		}
	}
	return owners
}

func assertFiles(t *testing.T, root string, owners map[string]owner) {
	t.Helper()
	assert.Equal(t, owner{uid: UID, mode: os.ModeDir | 0o700}, owners[DataDir], "the data directory belongs to the collector's user")
	assert.Equal(t, os.ModeDir|os.ModeSticky|0o777, owners["/tmp"].mode, "a temporary directory anyone may write")
	assert.Equal(t, os.FileMode(0o755), owners[BinaryPath].mode)
	assert.Equal(t, 0, owners[BinaryPath].uid, "the binary is not writable by the user that runs it")

	want, err := filepath.EvalSymlinks(filepath.Join(repo, "geo", "country.mmdb"))
	require.NoError(t, err)
	assertSameFile(t, want, filepath.Join(root, GeoIPPath))
	license, err := os.ReadFile(filepath.Join(root, GeoIPLicensePath))
	require.NoError(t, err)
	assert.Contains(t, string(license), "Creative Commons")

	configs, err := filepath.Glob(filepath.Join(repo, "config", "*.yaml"))
	require.NoError(t, err)
	for _, c := range configs {
		assertSameFile(t, c, filepath.Join(root, ConfigDir, filepath.Base(c)))
	}

	bundle, err := os.ReadFile(filepath.Join(root, CAPath))
	require.NoError(t, err)
	pool, n := x509.NewCertPool(), 0
	for block, rest := pem.Decode(bundle); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		require.NoError(t, err)
		pool.AddCert(cert)
		n++
	}
	assert.Greater(t, n, 100, "the CA bundle holds the public roots")
}

func assertSameFile(t *testing.T, want, got string) {
	t.Helper()
	a, err := os.ReadFile(want)
	require.NoError(t, err)
	b, err := os.ReadFile(got)
	require.NoError(t, err, "%s is not in the image", got)
	assert.True(t, bytes.Equal(a, b), "%s differs from %s", got, want)
}

// runBinary runs the image's binary: its components, and validate on
// every shipped config set with the image's environment and nothing else
// but the secrets the configs' comments ask for.
func runBinary(t *testing.T, root string) {
	t.Helper()
	bin := filepath.Join(root, BinaryPath)
	out, err := exec.Command(bin, "components").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, c := range []string{"browserevents", "kafkastream", "sessionize", "webanalytics", "liveview", "archive", "elasticsearch", "prometheus", "kafka", "health_check", "file_storage"} {
		assert.Contains(t, string(out), "- name: "+c+"\n", "footfall components")
	}
	env := append(slices.Clone(Env),
		"FOOTFALL_SALT_SECRET=a-salt-secret-of-at-least-32-bytes!!",
		"FOOTFALL_LIVEVIEW_PASSWORD=correct horse battery",
		"FOOTFALL_KAFKA_USERNAME=footfall",
		"FOOTFALL_KAFKA_PASSWORD=a-scram-password",
		"FOOTFALL_ES_API_KEY=an-api-key",
		// validate opens the country database and checks the data
		// directory: the image's own files, found under its root here
		// (the container run of the image checks them at their paths).
		"FOOTFALL_GEOIP_DATABASE="+filepath.Join(root, GeoIPPath),
		"FOOTFALL_DATA_DIR="+t.TempDir(),
	)
	sets, err := ConfigSets(repo)
	require.NoError(t, err)
	for _, set := range sets {
		args := []string{"validate"}
		for _, c := range set {
			if strings.HasPrefix(c, "--") {
				args = append(args, c) // a flag the set is run with
			} else {
				args = append(args, "--config", filepath.Join(root, ConfigDir, c))
			}
		}
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "%v: %s", set, out)
	}
}
