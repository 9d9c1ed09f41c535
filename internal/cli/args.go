package cli

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli v2 stops reading flags at a command's first argument, so
// `migrlab report FILE -f csv` would take "-f" and "csv" for more files.
// permuteArgs moves the flags of the command that args name (and their
// values) before its arguments, as Go's flag package users expect from GNU
// tools; "--" ends the flags, and everything after it stays an argument.

// keepArgOrder lists the commands whose arguments are passed on as they are
// (a command line to run on a host): their flags come before the arguments.
var keepArgOrder = map[string]bool{"testbed ssh": true}

// permuteArgs reorders args (the command line after "migrlab" and its global
// flags: the command's name first) in place: the leaf command's flags first,
// then its arguments, each group in its order. A flag the command does not
// know stays a flag (the parser then names it); a flag that takes a value
// takes the next argument with it unless written --flag=value.
func permuteArgs(cmds []*cli.Command, args []string) {
	var cmd *cli.Command
	path := ""
	i := 0
	for ; i < len(args); i++ {
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
		path = strings.TrimSpace(path + " " + next.Name)
	}
	if cmd == nil || len(cmd.Subcommands) > 0 || keepArgOrder[path] {
		return
	}
	rest := args[i:]
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		v, ok := f.(cli.DocGenerationFlag)
		for _, n := range f.Names() {
			takesValue[n] = ok && v.TakesValue()
		}
	}
	var flags, positional []string
	j := 0
	for ; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if takesValue[name] && j+1 < len(rest) {
			j++
			flags = append(flags, rest[j])
		}
	}
	out := append(append(flags, positional...), rest[j:]...)
	copy(rest, out)
}

// findCommand returns the command called name (or one of its aliases).
func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to s,
// or "" when none is close.
func didYouMean(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// flagNames lists the names of flags as the user types them (--name, -n).
func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// unknownFlag returns the flag a "flag provided but not defined: -x" error
// names ("" for other errors).
func unknownFlag(err error) string {
	const prefix = "flag provided but not defined: "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(msg, prefix))
}

// suggestFlag adds the closest flag of flags to an unknown-flag error.
func suggestFlag(err error, flags []cli.Flag) error {
	f := unknownFlag(err)
	if f == "" {
		return err
	}
	name := strings.TrimLeft(f, "-")
	dashed := "--" + name
	if len(name) == 1 {
		dashed = "-" + name
	}
	if hint := didYouMean(dashed, flagNames(flags)); hint != "" {
		return fmt.Errorf("unknown flag %s%s", dashed, hint)
	}
	return fmt.Errorf("unknown flag %s", dashed)
}
