package docs

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/migrlab/migrlab/internal/cli"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	ucli "github.com/urfave/cli/v2"
)

var update = flag.Bool("update", false, "rewrite the samples and generated blocks of README.md and docs/*.md from the code")

// pages returns the documentation files: README.md and docs/*.md.
func pages(t *testing.T) []string {
	t.Helper()
	md, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join("..", "README.md")}, md...)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A block is generated text in a page: a sample output or a generated table.
//
//	<!-- sample: migrlab sim -f markdown -->        the commands' output, as Markdown
//	<!-- sample-code: migrlab sim --set x=1 -->     "$ command" and its output in a text fence
//	<!-- generated: NAME -->                        one of the generators below
//
// each closed by <!-- /sample --> or <!-- /generated -->. Commands are split
// on spaces (no quoting) and chained with " && ".
var (
	openRE  = regexp.MustCompile(`(?m)^<!-- (sample|sample-code|generated): (.+?) -->\n`)
	closeRE = regexp.MustCompile(`(?m)^<!-- /(sample|generated) -->$`)
)

type block struct {
	kind, arg  string
	start, end int // the generated text: page[start:end]
}

func blocks(t *testing.T, page, text string) []block {
	t.Helper()
	var out []block
	for _, m := range openRE.FindAllStringSubmatchIndex(text, -1) {
		b := block{kind: text[m[2]:m[3]], arg: text[m[4]:m[5]], start: m[1]}
		c := closeRE.FindStringSubmatchIndex(text[b.start:])
		want := strings.TrimSuffix(b.kind, "-code")
		if c == nil || text[b.start+c[2]:b.start+c[3]] != want {
			t.Fatalf("%s: <!-- %s: %s --> has no <!-- /%s --> after it", page, b.kind, b.arg, want)
		}
		b.end = b.start + c[0]
		if o := openRE.FindStringIndex(text[b.start:b.end]); o != nil {
			t.Fatalf("%s: <!-- %s: %s --> is not closed before the next block", page, b.kind, b.arg)
		}
		out = append(out, b)
	}
	return out
}

// generators make the <!-- generated: NAME --> blocks.
var generators = map[string]func(t *testing.T) string{
	"commands":        commandTable,
	"exit-codes":      exitCodes,
	"scenario-fields": scenarioFieldsTable,
	"limits":          limits,
}

// render returns what a block must hold now.
func render(t *testing.T, b block) (string, error) {
	switch b.kind {
	case "generated":
		gen, ok := generators[b.arg]
		if !ok {
			return "", fmt.Errorf("unknown generator %q", b.arg)
		}
		return gen(t), nil
	case "sample", "sample-code":
		var out strings.Builder
		if b.kind == "sample-code" {
			out.WriteString("```text\n")
		}
		for _, cmd := range strings.Split(b.arg, " && ") {
			args := strings.Fields(cmd)
			if len(args) == 0 || args[0] != "migrlab" {
				return "", fmt.Errorf("sample %q: each command must start with migrlab", b.arg)
			}
			stdout, err := runCLI(args[1:])
			if b.kind == "sample-code" {
				out.WriteString("$ " + strings.Join(args, " ") + "\n")
			}
			out.WriteString(stdout)
			if err != nil {
				if b.kind != "sample-code" {
					return "", fmt.Errorf("sample %q: %v", cmd, err)
				}
				fmt.Fprintf(&out, "migrlab: %v\n", err) // as cmd/migrlab prints it
			}
		}
		if b.kind == "sample-code" {
			out.WriteString("```\n")
		}
		return out.String(), nil
	}
	return "", fmt.Errorf("unknown block kind %q", b.kind)
}

// runCLI runs migrlab in-process, as cmd/migrlab does, and returns its
// standard output and error.
func runCLI(args []string) (string, error) {
	var out, errb bytes.Buffer
	app := cli.App()
	app.Writer, app.ErrWriter = &out, &errb
	app.ExitErrHandler = func(*ucli.Context, error) {}
	argv := append([]string{"migrlab"}, args...)
	app.Metadata = map[string]any{"command": argv}
	err := cli.Run(context.Background(), app, argv)
	return out.String(), err
}

// sandbox makes a fresh working directory holding a link to examples/, so
// that samples read the repository's scenarios and write nothing into it.
func sandbox(t *testing.T) {
	t.Helper()
	ex, err := filepath.Abs(filepath.Join("..", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.Symlink(ex, filepath.Join(dir, "examples")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
}

// TestGeneratedBlocks checks that every sample output and generated block of
// the documentation is what the code produces now (-update rewrites them).
func TestGeneratedBlocks(t *testing.T) {
	type page struct {
		path, text string
		blocks     []block
	}
	var ps []page
	for _, p := range pages(t) {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		text := read(t, p)
		ps = append(ps, page{abs, text, blocks(t, p, text)})
	}
	sandbox(t)
	total := 0
	for _, p := range ps {
		name := filepath.Base(p.path)
		var next strings.Builder
		last := 0
		for _, b := range p.blocks {
			total++
			got, err := render(t, b)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			next.WriteString(p.text[last:b.start])
			next.WriteString(got)
			last = b.end
			if have := p.text[b.start:b.end]; have != got && !*update {
				t.Errorf("%s: <!-- %s: %s --> is out of date; run go test -update ./docs/ (with the podman build tags) and review the diff\n%s",
					name, b.kind, b.arg, firstDiff(have, got))
			}
		}
		next.WriteString(p.text[last:])
		if *update && next.String() != p.text {
			if err := os.WriteFile(p.path, []byte(next.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote %s", name)
		}
	}
	if total == 0 {
		t.Fatal("no sample or generated block found: the markers changed?")
	}
}

// firstDiff shows the first line where have and want differ.
func firstDiff(have, want string) string {
	h, w := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(h), len(w)); i++ {
		var a, b string
		if i < len(h) {
			a = h[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d of the block:\n  doc:  %q\n  code: %q", i+1, a, b)
		}
	}
	return ""
}

// commandTable is the README's command table, from the CLI itself.
func commandTable(*testing.T) string {
	var b strings.Builder
	b.WriteString("| Command | What it does |\n| --- | --- |\n")
	for _, c := range cli.App().Commands {
		if c.Hidden {
			continue
		}
		name := "migrlab " + c.Name
		var subs []string
		for _, s := range c.Subcommands {
			if !s.Hidden && s.Name != "help" {
				subs = append(subs, s.Name)
			}
		}
		if len(subs) > 0 {
			name += " " + strings.Join(subs, "|")
		}
		if c.ArgsUsage != "" {
			name += " " + c.ArgsUsage
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", cell(name), cell(c.Usage))
	}
	return b.String()
}

// exitCodes is the CLI's own statement of its exit codes.
func exitCodes(t *testing.T) string {
	d := cli.App().Description
	for _, code := range []int{cli.ExitOK, cli.ExitFailure, cli.ExitUsage, cli.ExitInterrupted} {
		if !strings.Contains(d, fmt.Sprint(code)) {
			t.Errorf("the CLI's description %q does not state exit code %d", d, code)
		}
	}
	return d + "\n"
}

// limits are the sizes beyond which sweep, run and compare refuse to start
// without --force (models' cost limits).
func limits(*testing.T) string {
	return fmt.Sprintf("- `migrlab sweep` refuses a grid of more than its `max_scenarios` (default %d, at most %d)\n"+
		"  scenarios, or estimated at more than %.0e simulator events. One simulated migration stops\n"+
		"  (and fails) after %d events.\n"+
		"- `migrlab run` and `compare` refuse real migrations estimated at more than %s: each\n"+
		"  migration %s of fixed costs and its warm-up, plus its memory at %s (twice for pre-copy and MiGrror,\n"+
		"  plus MiGrror's trigger), the pace of the local TCG testbed. `run` and `compare` print\n"+
		"  the estimate before they start.\n"+
		"- `--force` runs either anyway.\n",
		models.DefaultMaxScenarios, models.MaxSweepScenarios, models.MaxSweepEvents, models.MaxRunEvents,
		fmtDuration(models.MaxRealTime), fmtDuration(models.RealFixedPerMigration), models.RealLinkRate)
}

// fmtDuration writes whole hours, minutes or seconds as "6 h", "60 s".
func fmtDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return d.String()
}

// cell escapes a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// TestLinks checks that every relative link of the documentation points to
// an existing file, and to an existing heading when it names one.
func TestLinks(t *testing.T) {
	linkRE := regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	n := 0
	for _, p := range pages(t) {
		for _, m := range linkRE.FindAllStringSubmatch(prose(read(t, p)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			n++
			file, anchor, _ := strings.Cut(target, "#")
			path := p
			if file != "" {
				path = filepath.Join(filepath.Dir(p), file)
			}
			if _, err := os.Stat(path); err != nil {
				if strings.HasPrefix(m[0], "!") {
					t.Errorf("%s: image %s is missing (%v); commit it", p, target, err)
				} else {
					t.Errorf("%s: link %s: %v", p, target, err)
				}
				continue
			}
			if anchor != "" && strings.HasSuffix(path, ".md") && !slices.Contains(anchors(read(t, path)), anchor) {
				t.Errorf("%s: link %s: %s has no heading #%s (it has: %s)", p, target, path, anchor, strings.Join(anchors(read(t, path)), ", "))
			}
		}
	}
	if n == 0 {
		t.Fatal("no relative link found")
	}
}

var fenceRE = regexp.MustCompile("(?ms)^```.*?^```[^\n]*$")

// prose is text without its fenced code blocks and code spans.
func prose(text string) string {
	text = fenceRE.ReplaceAllString(text, "")
	return regexp.MustCompile("`[^`\n]*`").ReplaceAllString(text, "")
}

// anchors returns the GitHub anchors of the headings of a Markdown text.
func anchors(text string) []string {
	var out []string
	seen := map[string]int{}
	for _, line := range strings.Split(fenceRE.ReplaceAllString(text, ""), "\n") {
		h := strings.TrimLeft(line, "#")
		if h == line || !strings.HasPrefix(h, " ") || len(line)-len(h) > 6 {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(h)) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if k := seen[a]; k > 0 {
			seen[a]++
			a = fmt.Sprintf("%s-%d", a, k)
		} else {
			seen[a] = 1
		}
		out = append(out, a)
	}
	return out
}

// TestExcerpts checks that every code excerpt marked <!-- excerpt: PATH -->
// still matches PATH: each of its lines (comments, blank lines and "..."
// aside) is a line of that file.
func TestExcerpts(t *testing.T) {
	exRE := regexp.MustCompile("(?ms)^<!-- excerpt: (\\S+) -->\n```[a-z]*\n(.*?)^```")
	n := 0
	for _, p := range pages(t) {
		for _, m := range exRE.FindAllStringSubmatch(read(t, p), -1) {
			n++
			src := map[string]bool{}
			for _, l := range strings.Split(read(t, filepath.Join("..", m[1])), "\n") {
				src[codeLine(l)] = true
			}
			for _, l := range strings.Split(m[2], "\n") {
				if c := codeLine(l); c != "" && c != "..." && !src[c] {
					t.Errorf("%s: the excerpt of %s has a line that is not in the file: %q", p, m[1], c)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no excerpt found")
	}
}

// codeLine is a line of Go without its comment and with its spaces collapsed.
func codeLine(l string) string {
	if i := strings.Index(l, "//"); i >= 0 {
		l = l[:i]
	}
	return strings.Join(strings.Fields(l), " ")
}

// TestFaultsPage checks docs/faults.md against the code: it names every fault
// and phase `migrlab run --inject` accepts, and its suite table has the
// columns e2e's TestFaultMatrix writes to out/faults/faults.md.
func TestFaultsPage(t *testing.T) {
	doc := read(t, "faults.md")
	for _, k := range real.FaultKinds {
		if !strings.Contains(doc, "`"+string(k)+"`") {
			t.Errorf("faults.md does not describe the fault `%s`", k)
		}
	}
	for _, p := range real.Phases {
		if !strings.Contains(doc, "`"+string(p)+"`") {
			t.Errorf("faults.md does not describe the phase `%s`", p)
		}
	}
	m := regexp.MustCompile(`"(\| fault \| phase \|[^"]*)\\n"`).FindStringSubmatch(read(t, filepath.Join("..", "e2e", "fault_test.go")))
	if m == nil {
		t.Fatal("e2e/fault_test.go: the fault table's header was not found")
	}
	if !strings.Contains(doc, "\n"+m[1]+"\n") {
		t.Errorf("faults.md: no table with the columns TestFaultMatrix writes:\n%s", m[1])
	}
}
