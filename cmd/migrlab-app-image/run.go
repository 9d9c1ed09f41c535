package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/real/image"
)

// build builds an app's archive (image.BuildDebianArchive), after
// installing what the local testbed needs where it is missing (mmdebstrap
// among them: a fresh machine of `scripts/just holdout` has none); a
// variable for tests.
var build = func(ctx context.Context, d image.DebianImage, out string) (string, error) {
	if err := infra.EnsureLocalDeps(ctx, os.Stderr); err != nil {
		return "", err
	}
	return image.BuildDebianArchive(ctx, d, out)
}

// run is the command on its arguments (without the program name); it
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	names := strings.Join(image.AppNames(), "|")
	if len(args) != 2 {
		fmt.Fprintf(stderr, "usage: migrlab-app-image %s ARCHIVE.tar\n", names)
		return 2
	}
	d, ok := image.Apps[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "migrlab-app-image: no application %q; want one of %s\nusage: migrlab-app-image %s ARCHIVE.tar\n",
			args[0], strings.Join(image.AppNames(), ", "), names)
		return 2
	}
	id, err := build(ctx, d, args[1])
	if err != nil {
		fmt.Fprintln(stderr, "migrlab-app-image:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s (%s)\n", args[1], d.Name, id)
	return 0
}
