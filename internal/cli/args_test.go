package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestPermuteArgs(t *testing.T) {
	cmds := commands()
	cases := []struct{ in, want string }{
		{"report r.jsonl -f csv", "report -f csv r.jsonl"},
		{"report a.jsonl b.jsonl --compare -f=json --table pairs", "report --compare -f=json --table pairs a.jsonl b.jsonl"},
		{"report - -f csv", "report -f csv -"},
		{"sweep s.yaml -o x -q", "sweep -o x -q s.yaml"},
		{"sim s.yaml --set network.latency=-1ms --rounds", "sim --set network.latency=-1ms --rounds s.yaml"},
		{"report r.jsonl -- -odd.jsonl -f", "report r.jsonl -- -odd.jsonl -f"},
		{"report r.jsonl --nonsense x", "report --nonsense r.jsonl x"},
		{"testbed ssh --name lab vm2 ls -la", "testbed ssh --name lab vm2 ls -la"},
		{"testbed down --name lab", "testbed down --name lab"},
		{"nosuch a -b", "nosuch a -b"},
	}
	for _, c := range cases {
		args := strings.Fields(c.in)
		permuteArgs(cmds, args)
		if got := strings.Join(args, " "); got != c.want {
			t.Errorf("%s: got %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFlagsAfterArguments: the README's `report FILE -f csv` reads -f.
func TestFlagsAfterArguments(t *testing.T) {
	recs := filepath.Join(t.TempDir(), "r.jsonl")
	if _, errOut, code := run(t, "sim", "-t", "cold", "--reps", "1", "-o", recs); code != ExitOK {
		t.Fatal(errOut)
	}
	out, errOut, code := run(t, "report", recs, "-f", "csv")
	if code != ExitOK || !strings.HasPrefix(out, "scenario,technique,backend") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestUnknownCommandsAndFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"swep"}, `unknown command "swep" (did you mean "sweep"?)`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"testbed", "dwon"}, `unknown command "dwon" (did you mean "down"?)`},
		{[]string{"sim", "--formt", "csv"}, `unknown flag --formt (did you mean "--format"?)`},
		{[]string{"report", "x.jsonl", "--tabel", "pairs"}, `unknown flag --tabel (did you mean "--table"?)`},
		{[]string{"report", "x.jsonl", "--table", "pair"}, `no table "pair" (did you mean "pairs"?)`},
	}
	for _, c := range cases {
		app := App()
		app.Writer, app.ErrWriter = &strings.Builder{}, &strings.Builder{}
		app.ExitErrHandler = func(*cli.Context, error) {}
		err := Run(t.Context(), app, append([]string{"migrlab"}, c.args...))
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, %v; want exit 2 and %q", c.args, ExitCode(err), err, c.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	out, _, code := run(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "migrlab ") || !strings.Contains(out, "go1") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	flag, _, _ := run(t, "--version")
	if v := strings.Fields(flag); len(v) == 0 || !strings.Contains(out, v[len(v)-1]) {
		t.Errorf("version says %q, --version %q", out, flag)
	}
}

// TestYAMLErrorNamesTheFile: the error names the file, the problem's line
// and its column.
func TestYAMLErrorNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.yaml")
	lines := []string{"# 1", "# 2", "name: bad", "memory:", "  size: 64MiB", "  page_size: 4KiB", "workload:", "  dirty_rate: 1MB/s",
		"network:", "  bandwidth: 100MB/s", "  latency: 1ms", "precopy:", "  stop: {threshold: 256KiB}", " max_rounds: 3"}
	os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	want := p + ": scenario: line 14, column 2: did not find expected key"
	for _, args := range [][]string{{"sim", p}, {"sim", "-s", p}} {
		err := App().Run(append([]string{"migrlab"}, args...))
		if ExitCode(err) != ExitUsage || err.Error() != want {
			t.Errorf("%v: %v, want %q", args, err, want)
		}
	}
	sw := filepath.Join(dir, "sweep.yaml")
	os.WriteFile(sw, []byte("name: s\nbase:\n  name: b\n  memory: {size: 1GiB}\n grid: {}\n"), 0o644)
	err := App().Run([]string{"migrlab", "sweep", sw})
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), sw+": sweep: line 5, column 2") {
		t.Errorf("sweep: %v", err)
	}
}
