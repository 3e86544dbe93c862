// Command footfall-image builds Footfall's multi-platform OCI image from a
// checkout without a container engine (make image):
//
//	dist/image/oci/                          the OCI image layout (an index of every platform)
//	dist/image/footfall-<version>.oci.tar    the same as one archive (podman load, docker load on Docker 25+)
//	dist/image/footfall-<version>-linux-<arch>.docker.tar   one platform in the docker save format
//
// The binaries are compiled from the sources ocb generated into _build
// (make build), statically and reproducibly: two builds of one commit give
// the same index digest, which the command prints.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/footfall-analytics/footfall/deploy/internal/cli"
	"github.com/footfall-analytics/footfall/deploy/internal/image"
)

func main() { cli.Main("footfall-image", "../dist/image", run) }

func run(ctx context.Context, spec image.Spec, repo, out string, archs []string) error {
	for _, arch := range archs {
		err := cli.WithBinary(ctx, repo, arch, out, func(bin string) error {
			var err error
			spec.Binaries[arch], err = os.ReadFile(bin)
			return err
		})
		if err != nil {
			return err
		}
	}
	idx, err := image.Index(spec)
	if err != nil {
		return err
	}
	layoutDir := filepath.Join(out, "oci")
	if err := image.WriteLayout(layoutDir, idx, spec.Version); err != nil {
		return err
	}
	prefix := filepath.Join(out, "footfall-"+spec.Version)
	if err := image.WriteArchive(layoutDir, prefix+".oci.tar", spec.Created); err != nil {
		return err
	}
	for _, arch := range archs {
		img, err := image.Image(spec, arch)
		if err != nil {
			return err
		}
		if err := image.WriteDockerArchive(prefix+"-linux-"+arch+".docker.tar", img, spec.Version); err != nil {
			return err
		}
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s:%s %s (%s)\n", image.Repository, spec.Version, digest, strings.Join(archs, ", "))
	return nil
}
