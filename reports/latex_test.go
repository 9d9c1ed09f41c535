package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLaTeXCompiles typesets every golden table with pdflatex, booktabs and siunitx,
// in the default OT1 font encoding; it is skipped where pdflatex is missing.
func TestLaTeXCompiles(t *testing.T) {
	pdflatex, err := exec.LookPath("pdflatex")
	if err != nil || testing.Short() {
		t.Skip("pdflatex not installed (or -short)")
	}
	var doc bytes.Buffer
	doc.WriteString("\\documentclass{article}\n\\usepackage{booktabs,siunitx}\n\\usepackage[a3paper,landscape,margin=1cm]{geometry}\n\\begin{document}\n")
	for _, tab := range goldenTables() {
		if err := Render(&doc, FormatLaTeX, tab); err != nil {
			t.Fatal(err)
		}
		doc.WriteString("\\bigskip\n\n")
	}
	doc.WriteString("\\end{document}\n")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tables.tex"), doc.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(pdflatex, "-interaction=nonstopmode", "-halt-on-error", "tables.tex")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pdflatex: %v\n%s", err, out)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "tables.log")); bytes.Contains(log, []byte("Missing character")) {
		t.Errorf("pdflatex dropped characters:\n%s", grepLines(string(log), "Missing character"))
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestImports keeps reports on models, the standard library and tablewriter.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		first := strings.SplitN(imp, "/", 2)[0]
		switch {
		case !strings.Contains(first, "."): // standard library
		case imp == "github.com/migrlab/migrlab/models":
		case strings.HasPrefix(imp, "github.com/olekukonko/tablewriter"):
		default:
			t.Errorf("reports imports %s; it may import only models, the standard library and tablewriter", imp)
		}
	}
}

// TestLaTeXNotesWrap: notes go under the tabular in a paragraph as wide as
// the line, so a long note wraps instead of widening the table.
func TestLaTeXNotesWrap(t *testing.T) {
	long := strings.Repeat("a long note about 50 % of the runs ", 10)
	tab := Table{Columns: []Column{{Key: "x", Header: "x"}}, Rows: [][]Cell{{Text("1")}}, Notes: []string{long, "second"}}
	var b bytes.Buffer
	if err := Render(&b, FormatLaTeX, tab); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	end, par := strings.Index(out, "\\end{tabular}"), strings.Index(out, "\\parbox{\\linewidth}{\\footnotesize a long note")
	if end < 0 || par < end || strings.Contains(out, "\\multicolumn") || !strings.Contains(out, "50 \\% of the runs") || !strings.Contains(out, "\\par\nsecond}") {
		t.Errorf("notes not in a wrapping paragraph under the table:\n%s", out)
	}
}
