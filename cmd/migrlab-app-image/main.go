// Command migrlab-app-image builds the image archive of an example
// application from Debian's packages, without any registry (the testbed's
// guests have none): `migrlab-app-image redis out/redis.tar` writes what
// examples/app-redis.yaml names as app.archive. It needs mmdebstrap and root.
//
// Exit codes: 0 on success, 1 when the build fails, 2 on bad arguments.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/migrlab/migrlab/real/image"
)

var apps = map[string]image.DebianImage{"redis": image.Redis}

func main() {
	if len(os.Args) != 3 || apps[os.Args[1]].Name == "" {
		fmt.Fprintln(os.Stderr, "usage: migrlab-app-image redis ARCHIVE.tar")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	d := apps[os.Args[1]]
	id, err := image.BuildDebianArchive(ctx, d, os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrlab-app-image:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: %s (%s)\n", os.Args[2], d.Name, id)
}
