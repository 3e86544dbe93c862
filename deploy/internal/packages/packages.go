// Package packages builds Footfall's deb and rpm packages with nfpm, from
// deploy/packages/nfpm.yaml, as the collector releases build theirs.
package packages

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// Formats are the package formats built.
var Formats = []string{"deb", "rpm"}

// Spec is one package build.
type Spec struct {
	Repo    string // the checkout
	Version string
	Arch    string // GOARCH; nfpm names it per format (amd64 is x86_64 in an rpm)
	Binary  string // the static collector binary
	// MTime is every file's time, the commit's: the build is reproducible.
	MTime time.Time
}

// Build writes one package of the format into dir and returns its path.
func Build(spec Spec, format, dir string) (string, error) {
	here, err := filepath.Abs(filepath.Join(spec.Repo, "deploy", "packages"))
	if err != nil {
		return "", err
	}
	repo, err := filepath.Abs(spec.Repo)
	if err != nil {
		return "", err
	}
	geoip, err := filepath.EvalSymlinks(filepath.Join(repo, "geo", "country.mmdb"))
	if err != nil {
		return "", fmt.Errorf("the country database (make geo installs it): %w", err)
	}
	binary, err := filepath.Abs(spec.Binary)
	if err != nil {
		return "", err
	}
	vars := map[string]string{
		"VERSION": spec.Version, "ARCH": spec.Arch, "BINARY": binary, "REPO": repo,
		"GEOIP": geoip, "GEOIP_LICENSE": filepath.Join(filepath.Dir(geoip), "NRO_LICENSE"), "HERE": here,
	}
	// The variables are expanded in the whole file, scripts' paths
	// included (nfpm expands only some fields).
	raw, err := os.ReadFile(filepath.Join(here, "nfpm.yaml"))
	if err != nil {
		return "", err
	}
	cfg, err := nfpm.Parse(strings.NewReader(os.Expand(string(raw), func(k string) string { return vars[k] })))
	if err != nil {
		return "", err
	}
	shipped, err := filepath.Glob(filepath.Join(repo, "config", "*.yaml"))
	if err != nil {
		return "", err
	}
	for _, c := range shipped {
		cfg.Contents = append(cfg.Contents, &files.Content{
			Source: c, Destination: "/usr/share/footfall/config/" + filepath.Base(c),
			FileInfo: &files.ContentFileInfo{Mode: 0o644},
		})
	}
	// Every file's time is the commit's, not the checkout's: the build is
	// reproducible.
	for _, c := range cfg.Contents {
		if c.FileInfo == nil {
			c.FileInfo = &files.ContentFileInfo{}
		}
		c.FileInfo.MTime = spec.MTime
	}
	info, err := cfg.Get(format)
	if err != nil {
		return "", err
	}
	info.MTime = spec.MTime
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return "", err
	}
	pkg, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, pkg.ConventionalFileName(info))
	f, err := os.Create(filepath.Clean(out)) //nolint:gosec // the output directory the caller chose
	if err != nil {
		return "", err
	}
	if err := pkg.Package(info, f); err != nil {
		_ = f.Close()
		return "", fmt.Errorf("%s: %w", format, err)
	}
	return out, f.Close()
}
