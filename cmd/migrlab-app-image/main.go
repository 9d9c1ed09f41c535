// Command migrlab-app-image builds the image archive of an example
// application from Debian's packages, without any registry (the testbed's
// guests have none): `migrlab-app-image redis out/redis.tar` writes what
// examples/app-redis.yaml names as app.archive, `migrlab-app-image
// memcached out/memcached.tar` what examples/app-memcached.yaml does. It
// needs mmdebstrap and root.
//
// Exit codes: 0 on success, 1 when the build fails, 2 on bad arguments.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
