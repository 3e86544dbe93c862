// Command footfall-packages builds Footfall's deb and rpm packages for
// linux/amd64 and linux/arm64 into dist/packages (make packages): the
// static binary, a systemd unit running as the footfall system user,
// /etc/footfall/config.yaml as a config file, an environment file for
// options, state in /var/lib/footfall.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/footfall-analytics/footfall/deploy/internal/image"
	"github.com/footfall-analytics/footfall/deploy/internal/packages"
)

func main() {
	repo := flag.String("repo", "..", "the checkout")
	out := flag.String("out", "../dist/packages", "the output directory")
	archs := flag.String("arch", "amd64,arm64", "the linux architectures, comma-separated")
	flag.Parse()
	if err := run(context.Background(), *repo, *out, strings.Split(*archs, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "footfall-packages:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, repo, out string, archs []string) error {
	spec, err := image.FromRepo(ctx, repo)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	for _, arch := range archs {
		bin := filepath.Join(out, "footfall-linux-"+arch)
		if err := image.Compile(ctx, filepath.Join(repo, "_build"), arch, bin); err != nil {
			return err
		}
		for _, format := range packages.Formats {
			path, err := packages.Build(packages.Spec{Repo: repo, Version: spec.Version, Arch: arch, Binary: bin, MTime: spec.Created}, format, out)
			if err != nil {
				return err
			}
			fmt.Println(path)
		}
		if err := os.Remove(bin); err != nil {
			return err
		}
	}
	return nil
}
