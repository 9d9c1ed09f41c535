package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/migrlab/migrlab/real/image"
)

// build builds an app's archive (image.BuildDebianArchive; a variable for tests).
var build = image.BuildDebianArchive

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
