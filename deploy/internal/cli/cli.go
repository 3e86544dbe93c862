// Package cli is what the deploy commands share: their flags, the spec
// they read from the checkout, and the binaries they compile.
package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/footfall-analytics/footfall/deploy/internal/image"
)

// Run is one command's work, on the checkout repo, into the directory
// out, for the linux architectures archs.
type Run func(ctx context.Context, spec image.Spec, repo, out string, archs []string) error

// Main parses the shared flags, reads the spec and calls run; an error
// ends the process with its message.
func Main(name, defaultOut string, run Run) {
	repo := flag.String("repo", "..", "the checkout")
	out := flag.String("out", defaultOut, "the output directory")
	archs := flag.String("arch", "amd64,arm64", "the linux architectures, comma-separated")
	flag.Parse()
	if err := start(context.Background(), *repo, *out, strings.Split(*archs, ","), run); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

func start(ctx context.Context, repo, out string, archs []string, run Run) error {
	spec, err := image.FromRepo(ctx, repo)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		return err
	}
	return run(ctx, spec, repo, out, archs)
}

// WithBinary compiles the collector for linux/arch into dir, calls fn
// with its path, and removes it.
func WithBinary(ctx context.Context, repo, arch, dir string, fn func(bin string) error) error {
	bin := filepath.Join(dir, "footfall-linux-"+arch)
	if err := image.Compile(ctx, filepath.Join(repo, "_build"), arch, bin); err != nil {
		return err
	}
	err := fn(bin)
	if rmErr := os.Remove(bin); err == nil {
		err = rmErr
	}
	return err
}
