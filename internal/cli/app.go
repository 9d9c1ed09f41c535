// Package cli holds migrlab's commands: thin layers over the library packages
// that write to the writers they are given.
package cli

import (
	"errors"
	"fmt"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/urfave/cli/v2"
)

// Exit codes, documented in the README.
const (
	// ExitOK: success.
	ExitOK = 0
	// ExitFailure: the command ran and failed (a migration failed, a testbed
	// could not be brought up).
	ExitFailure = 1
	// ExitUsage: bad input: unknown flag, malformed or impossible scenario.
	ExitUsage = 2
	// ExitInterrupted: stopped by Ctrl-C or SIGTERM; cleanup was attempted.
	ExitInterrupted = 130
)

// UsageError marks errors caused by the user's input.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError with a formatted message.
func usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// ExitCode maps an error returned by App to the documented exit code.
func ExitCode(err error) int {
	var ue UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, errInterrupted):
		return ExitInterrupted
	}
	return ExitFailure
}

var errInterrupted = errors.New("interrupted")

// commands are migrlab's commands, in the order of its help: the simulator,
// the records, the testbeds and their migrations, the comparison of the two
// worlds, and the agent the hosts run.
func commands() []*cli.Command {
	return []*cli.Command{
		simCommand(), sweepCommand(), reportCommand(),
		TestbedCommand(), RunCommand(), RecoverCommand(),
		CalibrateCommand(), CompareCommand(), DemoCommand(),
		AgentCommand(),
	}
}

// App builds the migrlab command-line application.
func App() *cli.App {
	cmds := commands()
	usageErr := func(c *cli.Context, err error, _ bool) error { return UsageError{err} }
	markUsageErrors(cmds, usageErr)
	return &cli.App{
		Name:    "migrlab",
		Usage:   "evaluate container live migration in simulation and on real Podman servers",
		Version: buildinfo.Version,
		Description: "Exit codes: 0 success, 1 failure (a migration or provisioning failed), " +
			"2 bad input (flags, scenario), 130 interrupted.",
		Commands:        cmds,
		OnUsageError:    usageErr,
		HideHelpCommand: true,
	}
}

// markUsageErrors makes flag errors of every (sub)command usage errors.
func markUsageErrors(cmds []*cli.Command, fn cli.OnUsageErrorFunc) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = fn
		}
		markUsageErrors(c.Subcommands, fn)
	}
}
