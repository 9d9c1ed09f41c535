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
