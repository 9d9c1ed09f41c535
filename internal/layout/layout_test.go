package layout

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/migrlab/migrlab/"

// podmanTags are the build tags the podman bindings under real/ need
// (the Justfile's podman_tags).
const podmanTags = "remote exclude_graphdriver_btrfs btrfs_noversion exclude_graphdriver_devicemapper containers_image_openpgp"

// rules say, for every package under a prefix, which of the project's
// packages it must not depend on, directly or through others.
var rules = []struct {
	pkg    string // a package, and everything under it
	banned []string
	why    string
}{
	{"models", []string{""}, "the technique model is pure: it imports nothing of the project"},
	{"sim", []string{"real", "infra", "testbed", "fidelity", "reports", "internal"}, "the simulator sees only models"},
	{"real", []string{"sim", "infra", "fidelity", "reports", "internal/cli"}, "the real backend reads the testbed contract, never the provisioner or the simulator"},
	{"testbed", []string{""}, "the testbed contract is a leaf"},
	{"infra", []string{"real", "sim", "fidelity", "reports", "internal/cli"}, "the provisioner writes the testbed contract and knows nothing of migrations"},
	{"reports", []string{"sim", "real", "infra", "testbed", "fidelity", "internal"}, "reports read records only"},
	{"fidelity", []string{"internal/cli"}, "the bridge is a library under the CLI"},
}

// bothWorlds may depend on the simulator and the real backend at once.
var bothWorlds = []string{"fidelity", "internal/cli", "cmd/migrlab"}

type listed struct {
	ImportPath string
	Deps       []string
}

// TestDependencyRules holds the project's packages to the dependency
// rules of the design: models imports nothing of the project; sim and real
// never import each other; real imports neither infra nor sim; reports reads
// records only; only the bridge (fidelity) and the CLI above it see both
// worlds.
func TestDependencyRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-tags", podmanTags, "-e", "-json=ImportPath,Deps", module+"...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		checkPackage(t.Errorf, p)
	}
	if n < 10 {
		t.Fatalf("go list found %d packages: the module is not where the test expects it", n)
	}
}

// checkPackage reports through errorf every rule p breaks.
func checkPackage(errorf func(format string, args ...any), p listed) {
	self := strings.TrimPrefix(p.ImportPath, module)
	var own []string
	for _, d := range p.Deps {
		if strings.HasPrefix(d, module) {
			own = append(own, strings.TrimPrefix(d, module))
		}
	}
	for _, r := range rules {
		if !under(self, r.pkg) {
			continue
		}
		for _, d := range own {
			for _, b := range r.banned {
				if under(d, b) {
					errorf("%s depends on %s: %s", self, d, r.why)
				}
			}
		}
	}
	if slices.ContainsFunc(own, func(d string) bool { return d == "sim" }) &&
		slices.ContainsFunc(own, func(d string) bool { return d == "real" }) &&
		!slices.ContainsFunc(bothWorlds, func(b string) bool { return under(self, b) }) {
		errorf("%s depends on both sim and real: only %v may see both worlds", self, bothWorlds)
	}
}

// under reports whether package p is prefix or below it ("" is every package).
func under(p, prefix string) bool {
	return prefix == "" || p == prefix || strings.HasPrefix(p, prefix+"/")
}

// TestUnder pins the prefix rule the dependency rules rely on.
func TestUnder(t *testing.T) {
	for _, c := range []struct {
		p, prefix string
		want      bool
	}{
		{"real", "real", true}, {"real/agent", "real", true}, {"realm", "real", false},
		{"internal/cli", "internal", true}, {"models", "", true}, {"reports/plot", "reports/plot", true},
	} {
		if got := under(c.p, c.prefix); got != c.want {
			t.Errorf("under(%q, %q) = %v, want %v", c.p, c.prefix, got, c.want)
		}
	}
}

// TestRulesCatchAViolation: a package that broke a rule is reported.
func TestRulesCatchAViolation(t *testing.T) {
	for _, c := range []struct {
		p    listed
		fail bool
	}{
		{listed{module + "real", []string{module + "models", module + "testbed"}}, false},
		{listed{module + "real", []string{module + "infra"}}, true},
		{listed{module + "real/agent", []string{module + "sim"}}, true},
		{listed{module + "models", []string{module + "testbed/mtls"}}, true},
		{listed{module + "reports/plot", []string{module + "reports", module + "models"}}, false},
		{listed{module + "reports/bundle", []string{module + "fidelity"}}, true},
		{listed{module + "e2e", []string{module + "sim", module + "real"}}, true},
		{listed{module + "fidelity", []string{module + "sim", module + "real", module + "infra"}}, false},
	} {
		var msgs []string
		checkPackage(func(format string, args ...any) { msgs = append(msgs, fmt.Sprintf(format, args...)) }, c.p)
		if failed := len(msgs) > 0; failed != c.fail {
			t.Errorf("%s with %v: failed %v, want %v (%v)", c.p.ImportPath, c.p.Deps, failed, c.fail, msgs)
		}
	}
}
