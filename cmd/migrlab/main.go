// Command migrlab evaluates container live-migration techniques in a
// discrete-event simulator and on real Podman servers, and compares the two.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/migrlab/migrlab/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, cli.App(), os.Args)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrlab:", err)
	}
	os.Exit(cli.ExitCode(err))
}
