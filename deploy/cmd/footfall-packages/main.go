// Command footfall-packages builds Footfall's deb and rpm packages for
// linux/amd64 and linux/arm64 into dist/packages (make packages): the
// static binary, a systemd unit running as the footfall system user,
// /etc/footfall/config.yaml as a config file, an environment file for
// options, state in /var/lib/footfall.
package main

import (
	"context"
	"fmt"

	"github.com/footfall-analytics/footfall/deploy/internal/cli"
	"github.com/footfall-analytics/footfall/deploy/internal/image"
	"github.com/footfall-analytics/footfall/deploy/internal/packages"
)

func main() { cli.Main("footfall-packages", "../dist/packages", run) }

func run(ctx context.Context, spec image.Spec, repo, out string, archs []string) error {
	for _, arch := range archs {
		err := cli.WithBinary(ctx, repo, arch, out, func(bin string) error {
			for _, format := range packages.Formats {
				path, err := packages.Build(packages.Spec{Repo: repo, Version: spec.Version, Arch: arch, Binary: bin, MTime: spec.Created}, format, out)
				if err != nil {
					return err
				}
				fmt.Println(path)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
