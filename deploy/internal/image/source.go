package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Source is the address of the repository, in the images' labels.
const Source = "https://github.com/footfall-analytics/footfall"

// Licenses names the licences of what the image holds, as SPDX: the
// distribution's own code has no licence chosen yet (NOASSERTION), the
// country database is CC-BY-4.0.
const Licenses = "NOASSERTION AND CC-BY-4.0"

// FromRepo reads a Spec from a checkout: the version from
// builder-config.yaml, the revision and time of HEAD, the shipped configs
// and the country database. Binaries are left for Compile.
func FromRepo(ctx context.Context, repo string) (Spec, error) {
	spec := Spec{Source: Source, Licenses: Licenses, Configs: map[string][]byte{}, Binaries: map[string][]byte{}}
	var err error
	if spec.Version, err = distVersion(filepath.Join(repo, "builder-config.yaml")); err != nil {
		return spec, err
	}
	if spec.Revision, spec.Created, err = head(ctx, repo); err != nil {
		return spec, err
	}
	configs, err := filepath.Glob(filepath.Join(repo, "config", "*.yaml"))
	if err != nil || len(configs) == 0 {
		return spec, fmt.Errorf("no shipped configs under %s/config", repo)
	}
	for _, c := range configs {
		if spec.Configs[filepath.Base(c)], err = os.ReadFile(c); err != nil {
			return spec, err
		}
	}
	db, err := filepath.EvalSymlinks(filepath.Join(repo, "geo", "country.mmdb"))
	if err != nil {
		return spec, fmt.Errorf("the country database (make geo installs it): %w", err)
	}
	if spec.GeoIP, err = os.ReadFile(db); err != nil {
		return spec, err
	}
	spec.GeoIPLicense, err = os.ReadFile(filepath.Join(filepath.Dir(db), "NRO_LICENSE"))
	return spec, err
}

func distVersion(manifest string) (string, error) {
	raw, err := os.ReadFile(manifest)
	if err != nil {
		return "", err
	}
	var m struct {
		Dist struct {
			Version string `json:"version"`
		} `json:"dist"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("reading %s: %w", manifest, err)
	}
	if m.Dist.Version == "" {
		return "", fmt.Errorf("no dist.version in %s", manifest)
	}
	return m.Dist.Version, nil
}

// head is the commit and its committer time; the commit gets a -dirty
// suffix when the work tree differs from it, so that an image never claims
// a commit it was not built from. SOURCE_DATE_EPOCH, the
// reproducible-builds convention, overrides the time.
func head(ctx context.Context, repo string) (string, time.Time, error) {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "log", "-1", "--format=%H %ct").Output()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading HEAD of %s: %w", repo, err)
	}
	rev, secs, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	status, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("reading the status of %s: %w", repo, err)
	}
	if len(status) > 0 {
		rev += "-dirty"
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs = epoch
	}
	n, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("commit time %q: %w", secs, err)
	}
	return rev, time.Unix(n, 0).UTC(), nil
}

// Compile builds the static collector binary for linux/arch from the
// sources ocb generated (make build leaves them in _build): no cgo, no
// local paths, no build id, no VCS stamp (the image's labels carry the
// commit), so the same sources give the same bytes.
func Compile(ctx context.Context, buildDir, arch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, ".")
	cmd.Dir = buildDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for linux/%s: %w\n%s", arch, err, msg)
	}
	return nil
}

// ConfigSets reads config/sets.txt of a checkout: the shipped configs as
// they are run, one set of files merged in order (and the flags they
// need, words that start with --) per line.
func ConfigSets(repo string) ([][]string, error) {
	raw, err := os.ReadFile(filepath.Join(repo, "config", "sets.txt"))
	if err != nil {
		return nil, err
	}
	var sets [][]string
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			sets = append(sets, strings.Fields(line))
		}
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("no config sets in %s/config/sets.txt", repo)
	}
	return sets, nil
}
