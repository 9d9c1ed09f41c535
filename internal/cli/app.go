// Package cli holds migrlab's commands: thin layers over the library packages
// that write to the writers they are given.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
		TestbedCommand(), ProfileCommand(), RunCommand(), RecoverCommand(),
		CalibrateCommand(), CompareCommand(), DemoCommand(),
		AgentCommand(), versionCommand(), completionCommand(),
	}
}

// App builds the migrlab command-line application. Its flags may follow a
// command's arguments (`migrlab report FILE -f csv`: see permuteArgs); an
// unknown command or flag is a usage error (exit 2) that names the closest
// known one.
func App() *cli.App {
	cmds := commands()
	usageErr := func(c *cli.Context, err error, _ bool) error {
		var flags []cli.Flag
		if c != nil && c.Command != nil {
			flags = c.Command.Flags
		}
		if c != nil && (c.Command == nil || c.Command.Name == "") {
			flags = c.App.Flags
		}
		return UsageError{suggestFlag(err, flags)}
	}
	markUsageErrors(cmds, usageErr)
	addVerbosity(cmds)
	return &cli.App{
		Name:    "migrlab",
		Usage:   "evaluate container live migration in simulation and on real Podman servers",
		Version: buildinfo.Version,
		Description: "Exit codes: 0 success, 1 failure (a migration or provisioning failed), " +
			"2 bad input (flags, scenario), 130 interrupted.",
		Commands:        cmds,
		OnUsageError:    usageErr,
		Action:          unknownCommand("migrlab", cmds, cli.ShowAppHelp),
		HideHelpCommand: true,
		// Shell completion asks the binary (migrlab completion).
		EnableBashCompletion: true,
	}
}

// Run runs app on the command line args (the program's name first) with
// the command's flags moved before its arguments (permuteArgs), so that
// `migrlab report FILE -f csv` reads -f: urfave/cli v2 stops reading flags at
// a command's first argument.
func Run(ctx context.Context, app *cli.App, args []string) error {
	args = append([]string(nil), args...)
	if args[len(args)-1] == "--generate-bash-completion" {
		return app.RunContext(ctx, args) // shell completion: the words as typed
	}
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		i++ // migrlab's own flags (--help, --version) take no value
	}
	if i < len(args) {
		permuteArgs(app.Commands, args[i:])
	}
	return app.RunContext(ctx, args)
}

// unknownCommand is the action of migrlab and of commands with
// subcommands: help without arguments, else a usage error that names the
// closest command.
func unknownCommand(parent string, cmds []*cli.Command, help cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() == 0 {
			return help(c)
		}
		name := c.Args().First()
		var names []string
		for _, cmd := range cmds {
			if !cmd.Hidden && cmd.Name != "help" {
				names = append(names, cmd.Name)
			}
		}
		return usagef("unknown command %q%s; the commands of %s: %s (%s --help)",
			name, didYouMean(name, names), parent, strings.Join(names, ", "), parent)
	}
}

// versionCommand prints the version, the commit and the Go release, as
// records carry them.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print migrlab's version, commit and Go release (as --version, with more)",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("version takes no arguments")
			}
			p := buildinfo.Provenance()
			fmt.Fprintf(c.App.Writer, "migrlab %s\n", p.Version)
			if p.Commit != "" {
				fmt.Fprintf(c.App.Writer, "commit %s\n", p.Commit)
			}
			fmt.Fprintf(c.App.Writer, "%s %s/%s\n", p.GoVersion, p.Host["os"], p.Host["arch"])
			return nil
		},
	}
}

// markUsageErrors makes flag errors of every (sub)command usage errors.
func markUsageErrors(cmds []*cli.Command, fn cli.OnUsageErrorFunc) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = fn
		}
		if len(c.Subcommands) > 0 && c.Action == nil {
			c.Action = unknownCommand("migrlab "+c.Name, c.Subcommands, cli.ShowSubcommandHelp)
		}
		markUsageErrors(c.Subcommands, fn)
	}
}
