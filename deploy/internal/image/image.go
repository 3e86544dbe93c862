package image

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Where things are inside the image. The chart, the packages and
// docs/deploy.md use the same paths, and the shipped configs find the
// country database and the data directory through the environment the
// image sets.
const (
	BinaryPath       = "/usr/bin/footfall"
	ConfigDir        = "/etc/footfall"
	DefaultConfig    = ConfigDir + "/single.yaml"
	DataDir          = "/var/lib/footfall"
	GeoIPPath        = "/usr/share/footfall/country.mmdb"
	GeoIPLicensePath = "/usr/share/footfall/country.mmdb.LICENSE"
	CAPath           = "/etc/ssl/certs/ca-certificates.crt"
	// UID is the numeric user and group the collector runs as: not root,
	// and numeric so that Kubernetes' runAsNonRoot can verify it.
	UID = 10001
)

// Ports the image exposes, by what listens there.
var Ports = map[string]int{
	"intake":    4319,
	"liveview":  4320,
	"metrics":   8889,
	"telemetry": 8888,
	"health":    13133,
}

// Env is what the image sets: the shipped configs read these. The health
// endpoint listens on all interfaces so that the kubelet can probe it.
var Env = []string{
	"PATH=/usr/bin",
	"FOOTFALL_DATA_DIR=" + DataDir,
	"FOOTFALL_GEOIP_DATABASE=" + GeoIPPath,
	"FOOTFALL_HEALTH_ENDPOINT=0.0.0.0:13133",
}

// Spec is everything an image is made of.
type Spec struct {
	Version  string // the distribution's version (builder-config.yaml)
	Revision string // the commit
	Source   string // the repository's address
	Licenses string // an SPDX expression
	// Created is the commit's time: every timestamp in the image is this
	// one, so that the build is reproducible.
	Created time.Time
	// Configs are the shipped collector configs by file name.
	Configs      map[string][]byte
	GeoIP        []byte
	GeoIPLicense []byte
	// Binaries are the static collector binaries by architecture.
	Binaries map[string][]byte
}

// Index builds one image per architecture of spec.Binaries, in a
// multi-platform OCI index.
func Index(spec Spec) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range slices.Sorted(maps.Keys(spec.Binaries)) {
		img, err := Image(spec, arch)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add: img,
			Descriptor: v1.Descriptor{
				MediaType: types.OCIManifestSchema1,
				Platform:  &v1.Platform{OS: "linux", Architecture: arch},
			},
		})
	}
	return idx, nil
}

// Image builds the image of one architecture: a layer of data (CA roots,
// country database, configs, the data directory) and a layer with the
// binary, which is the one that changes from commit to commit.
func Image(spec Spec, arch string) (v1.Image, error) {
	binary, ok := spec.Binaries[arch]
	if !ok {
		return nil, fmt.Errorf("no binary for linux/%s", arch)
	}
	data, err := layer(withParents(dataFiles(spec)), spec.Created)
	if err != nil {
		return nil, err
	}
	bin, err := layer(withParents([]entry{{Path: BinaryPath, Mode: 0o755, Content: binary}}), spec.Created)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), data, bin)
	if err != nil {
		return nil, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: spec.Created}
	cf.Config = runConfig(spec)
	for i := range cf.History {
		cf.History[i].Created = v1.Time{Time: spec.Created}
	}
	return mutate.ConfigFile(img, cf)
}

func dataFiles(spec Spec) []entry {
	files := []entry{
		{Path: CAPath, Mode: 0o644, Content: caBundle()},
		{Path: GeoIPPath, Mode: 0o644, Content: spec.GeoIP},
		{Path: GeoIPLicensePath, Mode: 0o644, Content: spec.GeoIPLicense},
		// Owned by the collector's user: WAL, state, salt and queues. A
		// volume mounted here in Kubernetes gets the pod's fsGroup.
		{Path: DataDir, Mode: 0o700, Dir: true, UID: UID},
		// The archive exporter spools uploads in the temporary directory.
		{Path: "/tmp", Mode: 0o1777, Dir: true},
		// The shipped configs listen on "localhost"; Docker and Kubernetes
		// mount their own /etc/hosts over this one, other runtimes may not,
		// and Go's resolver would then ask DNS for the name.
		{Path: "/etc/hosts", Mode: 0o644, Content: []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")},
		{Path: "/etc/nsswitch.conf", Mode: 0o644, Content: []byte("hosts: files dns\n")},
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Configs)) {
		files = append(files, entry{Path: path.Join(ConfigDir, name), Mode: 0o644, Content: spec.Configs[name]})
	}
	return files
}

func withParents(files []entry) []entry { return append(files, parents(files)...) }

func runConfig(spec Spec) v1.Config {
	ports := map[string]struct{}{}
	for _, p := range Ports {
		ports[strconv.Itoa(p)+"/tcp"] = struct{}{}
	}
	user := strconv.Itoa(UID)
	return v1.Config{
		User:         user + ":" + user,
		Entrypoint:   []string{BinaryPath},
		Cmd:          []string{"--config", DefaultConfig},
		Env:          Env,
		WorkingDir:   DataDir,
		ExposedPorts: ports,
		Volumes:      map[string]struct{}{DataDir: {}},
		Labels:       Labels(spec),
	}
}

// Labels are the OCI annotations the collector releases' images carry.
func Labels(spec Spec) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "footfall",
		"org.opencontainers.image.description": "Footfall, an OpenTelemetry Collector distribution for real-time web analytics",
		"org.opencontainers.image.version":     spec.Version,
		"org.opencontainers.image.revision":    spec.Revision,
		"org.opencontainers.image.source":      spec.Source,
		"org.opencontainers.image.licenses":    spec.Licenses,
		"org.opencontainers.image.created":     spec.Created.UTC().Format(time.RFC3339),
	}
}
