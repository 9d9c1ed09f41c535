package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/migrlab/migrlab/reports"
	"github.com/urfave/cli/v2"
)

// One document per output: CSV, JSON and LaTeX hold one table each, so a
// command that has several tables to show writes them back to back only in
// the human formats (table, markdown). In the others the user chooses one
// (--table NAME) or writes each to its own file (--out-dir DIR); without
// either the command refuses with exit 2 before it runs anything, naming both.

// namedTable is one table of a command's output and the name --table and
// --out-dir know it by.
type namedTable struct {
	name  string
	table reports.Table
}

// tableChoice is what --table and --out-dir asked for.
type tableChoice struct {
	format  reports.Format
	name    string   // --table: one table, or "" for the command's usual set
	dir     string   // --out-dir: each table to its own file
	columns []string // --columns: these columns only, in this order
}

// tableFlags are --table and --out-dir for a command whose tables are names.
func tableFlags(names []string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "table", Usage: "print only this table: " + strings.Join(names, ", ") +
			" (CSV, JSON and LaTeX hold one table per output)"},
		&cli.StringFlag{Name: "out-dir", Usage: "write each table to its own file in `DIR` (NAME.csv, NAME.json, NAME.tex, ...) instead of stdout"},
		&cli.StringFlag{Name: "columns", Usage: "show only these columns, in this order: comma-separated `KEYS` as CSV names them " +
			"(for example technique,downtime_s: a LaTeX table that fits one column)"},
	}
}

// parseTableChoice reads -f, --table and --out-dir; names are the tables the
// command can make.
func parseTableChoice(c *cli.Context, names []string) (tableChoice, error) {
	format, err := reports.ParseFormat(c.String("format"))
	if err != nil {
		return tableChoice{}, UsageError{err}
	}
	ch := tableChoice{format: format, name: c.String("table"), dir: c.String("out-dir")}
	for _, k := range strings.Split(c.String("columns"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			ch.columns = append(ch.columns, k)
		}
	}
	if ch.name != "" && !contains(names, ch.name) {
		return ch, usagef("%s --table: no table %q%s (tables: %s)", c.Command.Name, ch.name, didYouMean(ch.name, names), strings.Join(names, ", "))
	}
	return ch, nil
}

// oneTablePerOutput reports whether format f holds a single table: a second
// one after it would not parse (CSV, JSON) or not compile as one tabular
// (LaTeX).
func oneTablePerOutput(f reports.Format) bool {
	return f == reports.FormatCSV || f == reports.FormatJSON || f == reports.FormatLaTeX
}

// refuseSeveral is the error for several tables in a one-table format when
// neither --table nor --out-dir chose.
func (ch tableChoice) refuseSeveral(cmd string, names []string) error {
	if ch.name != "" || ch.dir != "" || len(names) < 2 || !oneTablePerOutput(ch.format) {
		return nil
	}
	return usagef("%s writes several tables (%s), and -f %s holds one table per output: choose one with --table NAME (for example --table %s), "+
		"or write each to its own file with --out-dir DIR", cmd, strings.Join(names, ", "), ch.format, names[0])
}

// write renders the tables to w (human formats: one after the other, a blank
// line between), or each to DIR/NAME.EXT with --out-dir, saying on stderr
// which files it wrote.
func (ch tableChoice) write(c *cli.Context, w io.Writer, tables []namedTable) error {
	if len(ch.columns) > 0 {
		for i := range tables {
			t, err := tables[i].table.Select(ch.columns)
			if err != nil {
				return usagef("%s --columns: %v", c.Command.Name, err)
			}
			tables[i].table = t
		}
	}
	if ch.dir != "" {
		if err := os.MkdirAll(ch.dir, 0o755); err != nil {
			return err
		}
		for _, t := range tables {
			p := filepath.Join(ch.dir, t.name+formatExt(ch.format))
			if err := renderFile(p, ch.format, t.table); err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "wrote %s\n", p)
		}
		return nil
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	if err := ch.refuseSeveral(c.Command.Name, names); err != nil {
		return err
	}
	for i, t := range tables {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		if err := reports.Render(w, ch.format, t.table); err != nil {
			return err
		}
	}
	return nil
}

func renderFile(path string, f reports.Format, t reports.Table) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := reports.Render(out, f, t); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// formatExt is the file extension of a format's files.
func formatExt(f reports.Format) string {
	switch f {
	case reports.FormatMarkdown:
		return ".md"
	case reports.FormatCSV:
		return ".csv"
	case reports.FormatJSON:
		return ".json"
	case reports.FormatLaTeX:
		return ".tex"
	}
	return ".txt"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
