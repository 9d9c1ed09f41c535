package cli

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"
)

// Every command takes -q (progress off: standard error keeps warnings and
// the final error) and -v (more detail where a command has more: the agents'
// requests with their status and time for the commands that drive a
// testbed, the scenario as simulated for sim). Standard output is the same
// either way.

const (
	quietName   = "quiet"
	verboseName = "verbose"
)

// addVerbosity gives every command (and subcommand) -q and -v, keeping a
// command's own -q where it has one, and a Before that applies them.
func addVerbosity(cmds []*cli.Command) {
	for _, c := range cmds {
		if !hasFlag(c.Flags, quietName) {
			c.Flags = append(c.Flags, &cli.BoolFlag{Name: quietName, Aliases: []string{"q"}, Usage: "no progress on standard error (warnings and errors stay)"})
		}
		if !hasFlag(c.Flags, verboseName) {
			c.Flags = append(c.Flags, &cli.BoolFlag{Name: verboseName, Aliases: []string{"v"}, Usage: "more detail on standard error (the agents' requests; sim: the scenario as simulated)"})
		}
		before := c.Before
		c.Before = func(ctx *cli.Context) error {
			if err := applyVerbosity(ctx); err != nil {
				return err
			}
			if before != nil {
				return before(ctx)
			}
			return nil
		}
		addVerbosity(c.Subcommands)
	}
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// applyVerbosity refuses -q with -v and, for -q, filters standard error.
func applyVerbosity(c *cli.Context) error {
	if c.Bool(quietName) && c.Bool(verboseName) {
		return usagef("-q and -v: choose one")
	}
	if c.Bool(quietName) {
		c.App.ErrWriter = &warningsOnly{w: c.App.ErrWriter}
	}
	return nil
}

// verbose reports -v.
func verbose(c *cli.Context) bool { return c.Bool(verboseName) }

// warningsOnly passes the lines that start with "warning" and drops the
// rest (progress), a line at a time.
type warningsOnly struct {
	w    io.Writer
	line []byte
}

func (q *warningsOnly) Write(p []byte) (int, error) {
	q.line = append(q.line, p...)
	for {
		i := bytes.IndexByte(q.line, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := q.line[:i+1]
		if strings.HasPrefix(strings.TrimSpace(string(line)), "warning") {
			if _, err := q.w.Write(line); err != nil {
				return len(p), err
			}
		}
		q.line = q.line[i+1:]
	}
}

// writeResolved writes the scenario as it is simulated (defaults applied),
// as YAML comments (sizes in bytes, rates in bytes per second).
func writeResolved(w io.Writer, s models.Scenario) {
	b, err := yaml.Marshal(s)
	if err != nil {
		fmt.Fprintf(w, "# scenario %s: %v\n", s.Name, err)
		return
	}
	fmt.Fprintf(w, "# scenario %s as simulated (defaults applied; sizes in bytes, rates in bytes/s):\n", s.Name)
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fmt.Fprintf(w, "#   %s\n", l)
	}
}
