package docs

import (
	"bufio"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// synopses returns every migrlab command line the pages show: the lines of
// code blocks that run migrlab (or bin/migrlab, after "$ " or "time "), and
// inline code that starts with "migrlab " and names a file.
func synopses(t *testing.T) map[string][]string {
	t.Helper()
	inline := regexp.MustCompile("`((?:bin/)?migrlab [^`]+)`")
	lead := regexp.MustCompile(`^(?:\$ |time )?((?:bin/)?migrlab .*)$`)
	out := map[string][]string{}
	for _, page := range pages(t) {
		fenced := false
		sc := bufio.NewScanner(strings.NewReader(read(t, page)))
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				fenced = !fenced
				continue
			}
			if fenced {
				if m := lead.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
					out[page] = append(out[page], m[1])
				}
				continue
			}
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				// A whole command line names a file; `migrlab run` and
				// `migrlab compare --search N` are prose.
				if strings.ContainsAny(m[1], "./") && strings.Contains(strings.TrimPrefix(m[1], "bin/"), " ") && !strings.Contains(m[1], "|") {
					out[page] = append(out[page], m[1])
				}
			}
		}
	}
	return out
}

// TestSynopsesParse runs every command line of README.md and docs/*.md
// through migrlab's parser with the commands' actions replaced: each must
// name a command, use only flags it has, with their values, wherever they
// stand (after the arguments too), and leave no flag among the arguments.
// Placeholders ("...", FILE) are arguments like any other.
func TestSynopsesParse(t *testing.T) {
	n := 0
	for page, lines := range synopses(t) {
		for _, line := range lines {
			if i := strings.Index(line, " #"); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if strings.Contains(line, "...") || strings.HasSuffix(line, "\\") {
				continue // elided: not a whole command line
			}
			args := strings.Fields(line)
			args[0] = "migrlab"
			if len(args) == 1 {
				continue
			}
			n++
			app := cli.App()
			app.Writer, app.ErrWriter = &strings.Builder{}, &strings.Builder{}
			app.ExitErrHandler = func(*ucli.Context, error) {}
			ran := false
			var stub func(path string, cmds []*ucli.Command)
			stub = func(path string, cmds []*ucli.Command) {
				for _, c := range cmds {
					name := strings.TrimSpace(path + " " + c.Name)
					if len(c.Subcommands) > 0 {
						stub(name, c.Subcommands)
						continue
					}
					c.Before = nil
					c.Action = func(ctx *ucli.Context) error {
						ran = true
						if name == "testbed ssh" {
							return nil // a command line to run on the host follows
						}
						for _, a := range ctx.Args().Slice() {
							if strings.HasPrefix(a, "-") && a != "-" {
								return fmt.Errorf("%q taken for an argument", a)
							}
						}
						return nil
					}
				}
			}
			stub("", app.Commands)
			err := cli.Run(context.Background(), app, args)
			if err != nil || !ran {
				t.Errorf("%s: `%s`: %v (a command ran: %v)", page, line, err, ran)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d command lines found in the pages", n)
	}
}
