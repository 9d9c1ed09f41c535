package models

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseExamples(t *testing.T) {
	files := scenarioExamples(t)
	if len(files) < 3 {
		t.Fatalf("found %d example scenarios, want at least 3", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseScenario(strings.NewReader(string(b)))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if s.Name == "" || s.Memory.Size <= 0 || s.Network.Bandwidth < 0 {
			t.Errorf("%s: parsed to %+v", f, s)
		}
	}
}

func TestParseEdgeValues(t *testing.T) {
	f, _ := os.Open("../examples/edge-1g.yaml")
	defer f.Close()
	s, err := ParseScenario(f)
	if err != nil {
		t.Fatal(err)
	}
	if s.Memory.Size != 1<<30 || s.Memory.PageSize != 4096 {
		t.Errorf("memory = %+v", s.Memory)
	}
	if s.Network.Bandwidth != 125e6 {
		t.Errorf("bandwidth = %v, want 125e6 B/s", float64(s.Network.Bandwidth))
	}
	if s.Workload.DirtyRate != 20e6 || s.Workload.WWS != 256<<20 {
		t.Errorf("workload = %+v", s.Workload)
	}
	if s.Costs.DumpPerPage.Duration().Nanoseconds() != 1000 {
		t.Errorf("dump_per_page = %v", s.Costs.DumpPerPage)
	}
	if got := s.PreCopy.Stop.Rules(); len(got) != 4 {
		t.Errorf("rules = %v, want 4", got)
	}
}

func TestParseRejectsBadInput(t *testing.T) {
	base := "name: x\nmemory: {size: 1GiB}\nworkload: {dirty_rate: 10MB/s}\nnetwork: {bandwidth: 1Gbit/s}\n"
	cases := []struct{ name, yaml, want string }{
		{"empty", "", "empty"},
		{"negative size", strings.Replace(base, "1GiB", "-1GiB", 1), "memory.size"},
		{"zero bandwidth", strings.Replace(base, "1Gbit/s", "0, latency: 5ms", 1), "network.bandwidth"},
		{"unknown technique", base + "techniques: [teleport]\n", `techniques[0]: unknown technique "teleport"`},
		{"unknown field", base + "colour: red\n", "colour"},
		{"bad unit", strings.Replace(base, "1GiB", "1 parsec", 1), "unknown unit"},
		{"wws too big", strings.Replace(base, "dirty_rate: 10MB/s", "dirty_rate: 10MB/s, wws: 2GiB", 1), "workload.wws"},
		{"negative group", base + "group: {containers: -1}\n", "group.containers"},
		{"no name", strings.Replace(base, "name: x", "name: ''", 1), "name"},
		{"hot share missing", strings.Replace(base, "dirty_rate: 10MB/s", "dirty_rate: 10MB/s, hot_fraction: 0.2", 1), "workload.hot_share"},
		{"trace order", strings.Replace(base, "dirty_rate: 10MB/s", "dirty_rate: 10MB/s, rate_trace: {points: [{at: 0s, factor: 1}, {at: 0s, factor: 2}]}", 1), "workload.rate_trace.points[1].at"},
		{"trace starts late", strings.Replace(base, "dirty_rate: 10MB/s", "dirty_rate: 10MB/s, rate_trace: {points: [{at: 1s, factor: 1}]}", 1), "workload.rate_trace.points[0].at"},
		{"unbounded precopy", base + "precopy: {stop: {traffic_cap: 0, max_rounds: 0, threshold: 1MB}}\n" + "repetitions: -1\n", "repetitions"},
		{"bad model", base + "model: quantum\n", "model"},
		{"mapping for size", strings.Replace(base, "1GiB", "{a: 1}", 1), "memory.size: want a size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario(strings.NewReader(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestUnits(t *testing.T) {
	sizes := map[string]ByteSize{"4KiB": 4096, "1GiB": 1 << 30, "1MB": 1e6, "512": 512, "1.5KiB": 1536}
	for in, want := range sizes {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	rates := map[string]Rate{"1Gbit/s": 125e6, "100MB/s": 1e8, "20MiB/s": 20 << 20, "1000": 1000}
	for in, want := range rates {
		if got, err := ParseRate(in); err != nil || got != want {
			t.Errorf("ParseRate(%q) = %g, %v; want %g", in, float64(got), err, float64(want))
		}
	}
	if d, err := ParseDuration("1.5"); err == nil || !strings.Contains(err.Error(), "give a unit, for example 1.5s or 1.5ms") {
		t.Errorf("ParseDuration(1.5) = %v %v, want it refused: a plain number is ambiguous", d, err)
	}
	if d, err := ParseDuration("0"); err != nil || d != 0 {
		t.Errorf("ParseDuration(0) = %v %v", d, err)
	}
}

// TestUnitSpellings: an upper-case B is a byte and a lower-case b a bit in
// every size and rate, bps is bits per second, and a unit that is neither
// is refused naming the spellings that work.
func TestUnitSpellings(t *testing.T) {
	rates := []struct {
		in   string
		want Rate // 0: refused
	}{
		{"1Gbps", 125e6}, {"1Gb/s", 125e6}, {"1000Mbps", 125e6}, {"1000Mb/s", 125e6}, {"1Gbit/s", 125e6},
		{"100Mbit/s", 12.5e6}, {"8bps", 1}, {"8b/s", 1}, {"1kbps", 125}, {"1Kb/s", 125},
		{"1GB/s", 1e9}, {"1GBps", 1e9}, {"100MB/s", 1e8}, {"20MiB/s", 20 << 20}, {"4KiB/s", 4096}, {"1B/s", 1},
		{"1000", 1000}, {"2M/s", 2 << 20},
		{"1gbps", 0}, {"1gb/s", 0}, {"100mb/s", 0}, {"1mib/s", 0}, {"1 furlong/s", 0},
	}
	for _, c := range rates {
		got, err := ParseRate(c.in)
		switch {
		case c.want == 0 && (err == nil || !strings.Contains(err.Error(), "1Gbit/s, 1Gbps")):
			t.Errorf("ParseRate(%q) = %g, %v; want it refused naming the spellings", c.in, float64(got), err)
		case c.want != 0 && (err != nil || math.Abs(float64(got-c.want)) > 1e-9*float64(c.want)):
			t.Errorf("ParseRate(%q) = %g, %v; want %g", c.in, float64(got), err, float64(c.want))
		}
	}
	sizes := []struct {
		in   string
		want ByteSize // -1: refused
	}{
		{"4KiB", 4096}, {"4K", 4096}, {"4k", 4096}, {"1MB", 1e6}, {"1kB", 1000}, {"1KB", 1000}, {"512B", 512}, {"512", 512},
		{"1Mbit", 125000}, {"1Mb", 125000}, {"8b", 1}, {"8bit", 1},
		{"4kib", -1}, {"1mb", -1}, {"1gb", -1}, {"4m", -1}, {"1 parsec", -1},
	}
	for _, c := range sizes {
		got, err := ParseByteSize(c.in)
		switch {
		case c.want < 0 && (err == nil || !strings.Contains(err.Error(), "B for bytes, b or bit for bits")):
			t.Errorf("ParseByteSize(%q) = %d, %v; want it refused naming the spellings", c.in, got, err)
		case c.want >= 0 && (err != nil || got != c.want):
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// scenarioExamples lists the example scenarios (sweeps are named sweep-*).
func scenarioExamples(t testing.TB) []string {
	all, _ := filepath.Glob("../examples/*.yaml")
	held, _ := filepath.Glob("../examples/*/*.yaml")
	all = append(all, held...)
	var out []string
	for _, f := range all {
		if !strings.HasPrefix(filepath.Base(f), "sweep-") {
			out = append(out, f)
		}
	}
	return out
}

func FuzzParseScenario(f *testing.F) {
	for _, p := range scenarioExamples(f) {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add("name: x\nmemory: {size: 1e400}\n")
	f.Add("name: [")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseScenario(strings.NewReader(in))
		if err == nil {
			if verr := s.Validate(); verr != nil {
				t.Fatalf("parsed but invalid: %v", verr)
			}
		}
	})
}
