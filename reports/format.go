package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Format is an output format of [Render].
type Format string

// Output formats.
const (
	// FormatTable is a boxed terminal table in human units.
	FormatTable Format = "table"
	// FormatMarkdown is a GitHub pipe table in human units.
	FormatMarkdown Format = "markdown"
	// FormatCSV is RFC 4180 CSV in base units, the unit in the column names.
	FormatCSV Format = "csv"
	// FormatJSON is an array of objects keyed by column key, numbers in base units.
	FormatJSON Format = "json"
	// FormatLaTeX is a booktabs tabular in human units, the unit in the header,
	// plain-number columns aligned on the decimal point by siunitx (needs
	// \usepackage{booktabs,siunitx}).
	FormatLaTeX Format = "latex"
)

// Formats lists every format, in the order help texts show them.
var Formats = []Format{FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatLaTeX}

// ParseFormat returns the format named s (case-insensitive; "md" and "tex" are
// accepted too); the error lists the valid formats.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatLaTeX:
		return f, nil
	case "md":
		return FormatMarkdown, nil
	case "tex":
		return FormatLaTeX, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown output format %q (valid: %s)", s, strings.Join(names, ", "))
}

// String returns the format's name.
func (f Format) String() string { return string(f) }

// Set parses s into f, so a *Format is a flag.Value.
func (f *Format) Set(s string) error {
	v, err := ParseFormat(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Render writes t to w in format f. It fails on an unknown format, on a row
// whose length does not match the columns, and on write errors.
func Render(w io.Writer, f Format, t Table) error {
	if err := t.check(); err != nil {
		return err
	}
	switch f {
	case FormatTable:
		return renderTerminal(w, t)
	case FormatMarkdown:
		return renderMarkdown(w, t)
	case FormatCSV:
		return renderCSV(w, t)
	case FormatJSON:
		return renderJSON(w, t)
	case FormatLaTeX:
		return renderLaTeX(w, t)
	}
	_, err := ParseFormat(string(f))
	return err
}

// humanColumns returns the indexes of the columns human formats show.
func (t Table) humanColumns() []int {
	var out []int
	for i, c := range t.Columns {
		if !c.DataOnly {
			out = append(out, i)
		}
	}
	return out
}

// humanCell formats a cell for the terminal and Markdown.
func humanCell(c Cell) string {
	switch c.Kind {
	case KindText:
		return c.Text
	case KindBool:
		return boolText(c.Flag)
	case KindNumber:
		return human(c)
	case KindEstimate:
		if marked(c) {
			return human(c) + "†"
		}
		return human(c)
	}
	return "–"
}

// renderTerminal draws a boxed table with tablewriter, the title above and the
// notes below.
func renderTerminal(w io.Writer, t Table) error {
	cols := t.humanColumns()
	aligns := make([]tw.Align, len(cols))
	header := make([]string, len(cols))
	for j, i := range cols {
		aligns[j] = tw.AlignLeft
		if t.align(i) == AlignRight {
			aligns[j] = tw.AlignRight
		}
		header[j] = t.Columns[i].Header
	}
	if t.Title != "" {
		if _, err := fmt.Fprintln(w, t.Title); err != nil {
			return err
		}
	}
	tb := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	tb.Header(header)
	for _, r := range t.Rows {
		row := make([]string, len(cols))
		for j, i := range cols {
			row[j] = humanCell(r[i])
		}
		if err := tb.Append(row); err != nil {
			return err
		}
	}
	if err := tb.Render(); err != nil {
		return err
	}
	for _, n := range t.notes() {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}

// mdEscape keeps a cell from breaking a pipe table.
var mdEscape = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ")

// renderMarkdown writes a GitHub pipe table, the title as a bold line above and
// the notes as paragraphs below.
func renderMarkdown(w io.Writer, t Table) error {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "**%s**\n\n", mdEscape.Replace(t.Title))
	}
	cols := t.humanColumns()
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + mdEscape.Replace(c) + " |")
		}
		b.WriteString("\n")
	}
	header := make([]string, len(cols))
	rule := make([]string, len(cols))
	for j, i := range cols {
		header[j] = t.Columns[i].Header
		rule[j] = ":---"
		if t.align(i) == AlignRight {
			rule[j] = "---:"
		}
	}
	line(header)
	b.WriteString("|")
	for _, r := range rule {
		b.WriteString(" " + r + " |")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row := make([]string, len(cols))
		for j, i := range cols {
			row[j] = humanCell(r[i])
		}
		line(row)
	}
	for _, n := range t.notes() {
		fmt.Fprintf(&b, "\n%s\n", mdEscape.Replace(n))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
