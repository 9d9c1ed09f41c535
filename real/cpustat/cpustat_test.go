package cpustat

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func writeStat(t *testing.T, line string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(p, []byte(line+"\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCPUShares(t *testing.T) {
	a, ok := Read(writeStat(t, "cpu  100 0 50 800 50 0 0 0 0 0"))
	if !ok || a != (Times{Total: 1000, Idle: 850, Steal: 0}) {
		t.Fatalf("first sample %+v ok %v", a, ok)
	}
	// 200 ticks later: 120 user, 10 system, 30 idle, 40 stolen.
	b, ok := Read(writeStat(t, "cpu  220 0 60 830 50 0 0 40 0 0"))
	if !ok {
		t.Fatal("second sample not read")
	}
	busy, steal, ok := Shares(a, b)
	if !ok || math.Abs(busy-0.65) > 1e-12 || math.Abs(steal-0.2) > 1e-12 {
		t.Errorf("Shares = busy %v steal %v ok %v, want 0.65 0.2 true", busy, steal, ok)
	}
	if _, _, ok := Shares(b, b); ok {
		t.Error("no time passed: want ok false")
	}
	if _, _, ok := Shares(b, a); ok {
		t.Error("times going backwards: want ok false")
	}
}

func TestReadRejectsOtherFiles(t *testing.T) {
	for _, line := range []string{"", "intr 1 2 3", "cpu 1 2 3", "cpu 1 2 x 4 5 6 7 8"} {
		if got, ok := Read(writeStat(t, line)); ok {
			t.Errorf("%q: read %+v, want not ok", line, got)
		}
	}
	if _, ok := Read(filepath.Join(t.TempDir(), "missing")); ok {
		t.Error("missing file: want not ok")
	}
}

// TestOwnAndOtherShares: the usage of the named cgroups, in ticks, is the
// machine's own; the busy time beyond it is other work; a group that is
// missing makes the reading unmeasured rather than short.
func TestOwnAndOtherShares(t *testing.T) {
	root := t.TempDir()
	write := func(group, body string) {
		d := filepath.Join(root, group)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "cpu.stat"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	groups := []string{"machine.slice", "system.slice/podman.service"}
	if _, ok := ReadOwn(root, groups); ok {
		t.Error("no cgroup v2 hierarchy at root: want ok false")
	}
	write(".", "usage_usec 9000000\n")
	if err := os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpu io memory\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write("system.slice/podman.service", "usage_usec 250000\n")
	if own, ok := ReadOwn(root, groups); !ok || own != 25 { // no machine.slice yet: no container ran
		t.Fatalf("ReadOwn without machine.slice = %d, %v; want 25 ticks", own, ok)
	}
	write("machine.slice", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n")
	own, ok := ReadOwn(root, groups)
	if !ok || own != 175 { // 1.75 s at 100 ticks per second
		t.Fatalf("ReadOwn = %d, %v; want 175 ticks", own, ok)
	}
	if err := os.MkdirAll(filepath.Join(root, "system.slice/migrlab-agent.service"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, ok := ReadOwn(root, append(groups, "system.slice/migrlab-agent.service")); ok {
		t.Error("a group without its cpu.stat: want ok false")
	}
	if _, ok := ReadOwn(root, nil); ok {
		t.Error("no groups: want ok false")
	}
	// 200 ticks: 130 busy, 40 stolen; the own groups used 100 of them.
	a := Times{Total: 1000, Idle: 850, Own: 175}
	b := Times{Total: 1200, Idle: 880, Steal: 40, Own: 275}
	if o, ok := OtherShare(a, b); !ok || math.Abs(o-0.15) > 1e-12 {
		t.Errorf("OtherShare = %v %v, want 0.15", o, ok)
	}
	if _, ok := OtherShare(Times{Total: 1000, Idle: 850}, b); ok {
		t.Error("first reading without Own: want ok false")
	}
	p := filepath.Join(t.TempDir(), "cgroup")
	if err := os.WriteFile(p, []byte("0::/system.slice/migrlab-agent.service\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if g, ok := SelfCgroup(p); !ok || g != "system.slice/migrlab-agent.service" {
		t.Errorf("SelfCgroup = %q %v", g, ok)
	}
	if err := os.WriteFile(p, []byte("12:cpu,cpuacct:/user.slice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := SelfCgroup(p); ok {
		t.Error("cgroup v1: want ok false")
	}
}
