// Command migrlab-workload is migrlab's test workload for real migrations: it
// keeps memory resident, dirties it at a configured rate and answers probes on
// UDP and TCP (see packages real/workload and real/probe). It is built static
// (CGO_ENABLED=0) to run as PID 1 of a FROM-scratch container.
//
// Exit codes: 0 after SIGINT/SIGTERM, 1 on a runtime error, 2 on bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/migrlab/migrlab/real/workload"
)

func main() {
	cfg, err := workload.ParseArgs(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "migrlab-workload:", err)
		os.Exit(2)
	}
	// As PID 1 the process gets no default signal handling: handle the stop signals.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := workload.Run(ctx, cfg, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "migrlab-workload:", err)
		os.Exit(1)
	}
}
