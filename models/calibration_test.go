package models

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestFitLine(t *testing.T) {
	f, err := FitLine("dump", "pages", "seconds", []float64{1000, 2000, 4000}, []float64{1.1, 1.2, 1.4})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(f.Intercept-1.0) > 1e-9 || math.Abs(f.Slope-1e-4) > 1e-12 || math.Abs(f.R2-1) > 1e-9 {
		t.Fatalf("fit = %+v, want 1.0 + 1e-4 x, R2 1", f)
	}
	if _, err := FitLine("x", "pages", "s", []float64{1, 1}, []float64{1, 2}); err == nil || !strings.Contains(err.Error(), "vary it") {
		t.Fatalf("degenerate fit: %v", err)
	}
}

func TestCalibrationApplyAndRoundTrip(t *testing.T) {
	c := Calibration{Schema: CalibrationSchema, Testbed: "local",
		Network:    Network{Bandwidth: 50e6, Latency: Duration(time.Millisecond)},
		Costs:      Costs{RoundSetup: Duration(2 * time.Second), RestoreBase: Duration(8 * time.Second)},
		BaseMemory: 3<<20 + 100, RuntimeHot: 1<<20 + 7, RuntimeDirtyRate: 1e5}
	s := Scenario{Name: "x", Memory: Memory{Size: 64 << 20, PageSize: 4096},
		Workload: Workload{DirtyRate: 1e6, WWS: 4 << 20}} // no network: the testbed's own link
	got := c.Apply(s.WithDefaults())
	// The workload stays as asked; the runtime's whole pages join memory beside it.
	if got.Memory.Size != 67<<20 || got.Workload.WWS != 4<<20 || got.Workload.DirtyRate != 1e6 {
		t.Fatalf("applied: size %d wws %d rate %g", got.Memory.Size, got.Workload.WWS, float64(got.Workload.DirtyRate))
	}
	if rt := got.Workload.Runtime; rt.Memory != 3<<20 || rt.Hot != 1<<20 || rt.Rate != 1e5 || rt.Fresh {
		t.Fatalf("applied runtime: %+v", rt)
	}
	if w := c.RuntimeWrites(); w != "writes "+Rate(1e5).String()+" over the rest" {
		t.Errorf("RuntimeWrites of the filling model: %q", w)
	}
	c.RuntimeFresh = true // a calibration fitted with fresh writes gives the scenario fresh writes
	if w := c.RuntimeWrites(); w != "dirties "+Rate(1e5).String()+" of fresh pages" {
		t.Errorf("RuntimeWrites of fresh writes: %q", w)
	}
	if rt := c.Apply(s.WithDefaults()).Workload.Runtime; !rt.Fresh || rt.Rate != 1e5 {
		t.Fatalf("applied fresh runtime: %+v", rt)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("applied scenario: %v", err)
	}
	if got.Network.Bandwidth != 50e6 || !got.Costs.RestoreAllPages || got.Costs.RestoreBase.Duration() != 8*time.Second {
		t.Fatalf("applied network/costs: %+v %+v", got.Network, got.Costs)
	}
	// A WWS of zero (the whole buffer) becomes explicit: the runtime is not part of it.
	s.Workload.WWS = 0
	if got := c.Apply(s.WithDefaults()); got.Workload.WWS != 64<<20 || got.Validate() != nil {
		t.Fatalf("whole-buffer WWS: %d, %v", got.Workload.WWS, got.Validate())
	}
	// An app's memory and workload are its whole container's: costs and link
	// apply, the workload's runtime does not.
	s.App = App{Image: "localhost/app:latest", Port: 80}
	s.Workload.Runtime = RuntimeDirtying{Memory: 1 << 20, Hot: 1 << 20}
	if got := c.Apply(s.WithDefaults()); got.Memory.Size != 64<<20 || got.Workload.Runtime.Hot != 1<<20 || got.Workload.Runtime.Rate != 0 ||
		got.Network.Bandwidth != 50e6 || got.Costs.RestoreBase.Duration() != 8*time.Second {
		t.Fatalf("an app's scenario: size %s runtime %+v network %+v", got.Memory.Size, got.Workload.Runtime, got.Network)
	}
	var buf bytes.Buffer
	if err := WriteCalibration(&buf, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCalibration(&buf)
	if err != nil || back.Costs.RestoreBase != c.Costs.RestoreBase || back.BaseMemory != c.BaseMemory ||
		back.RuntimeHot != c.RuntimeHot || back.RuntimeDirtyRate != c.RuntimeDirtyRate || !back.RuntimeFresh {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	c.Schema = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "migrlab calibrate") {
		t.Fatalf("old schema: %v", err)
	}
	c.Schema, c.RuntimeHot = CalibrationSchema, c.BaseMemory+1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "calibration.runtime_hot_bytes") {
		t.Fatalf("hot beyond base memory: %v", err)
	}
	// An app's factors and the level its references measured are checked
	// alike, and named.
	c.RuntimeHot = c.BaseMemory
	for field, set := range map[string]func(Deviation){
		"calibration.apps.app-a":       func(d Deviation) { c.Apps, c.AppLevels = map[string]Deviation{"app-a": d}, nil },
		"calibration.app_levels.app-a": func(d Deviation) { c.Apps, c.AppLevels = nil, map[string]Deviation{"app-a": d} },
	} {
		set(Deviation{FinalDump: 1.2, Restore: 0.9})
		if err := c.Validate(); err != nil {
			t.Fatalf("%s of 1.2 and 0.9: %v", field, err)
		}
		set(Deviation{FinalDump: -1})
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), field) {
			t.Fatalf("%s of -1: %v", field, err)
		}
	}
}

// TestNewCostFieldsValidate: each new parameter is checked and named.
func TestNewCostFieldsValidate(t *testing.T) {
	for _, c := range []struct {
		mut  func(*Costs, *Network)
		want string
	}{
		{func(c *Costs, _ *Network) { c.FinalDumpPerPage = -1 }, "costs.final_dump_per_page"},
		{func(c *Costs, _ *Network) { c.RoundOverhead = -1 }, "costs.round_overhead"},
		{func(c *Costs, _ *Network) { c.FinalOverhead = 2 << 40 }, "costs.final_overhead"},
		{func(_ *Costs, n *Network) { n.LiveBandwidth = -1 }, "network.live_bandwidth"},
	} {
		co, n := Costs{}, Network{Bandwidth: 1e6}
		c.mut(&co, &n)
		err := co.Validate()
		if err == nil {
			err = n.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v", c.want, err)
		}
	}
	co := Costs{DumpPerPage: Duration(time.Millisecond)}
	n := Network{Bandwidth: 1e6}
	if co.FinalPerPage() != co.DumpPerPage || n.LiveRate() != n.Bandwidth {
		t.Errorf("zero must mean the old parameter: %v %v", co.FinalPerPage(), n.LiveRate())
	}
	co.FinalDumpPerPage, n.LiveBandwidth = Duration(3*time.Millisecond), 4e5
	if co.FinalPerPage() != co.FinalDumpPerPage || n.LiveRate() != 4e5 {
		t.Errorf("set: %v %v", co.FinalPerPage(), n.LiveRate())
	}
}

// schema1Calibration is a schema-1 calibration file: a scaled workload rate
// (dirty_rate_factor) instead of the runtime's own dirtying.
const schema1Calibration = `{
  "schema": 1, "testbed": "old", "created": "2026-11-25T16:19:00Z", "hosts": {"vm1": {"podman": "4.3.1"}},
  "network": {"bandwidth_bytes_per_s": 1740000, "latency_s": 0.0128, "bandwidth_trace": {"points": null}},
  "costs": {"freeze_s": 0.31, "dump_per_page_s": 0.00379, "round_setup_s": 10.3,
    "final_setup_s": 17, "transfer_setup_s": 0, "restore_base_s": 60.8,
    "restore_per_page_s": 0.00039, "restore_all_pages": true, "resume_s": 2.75},
  "base_memory_bytes": 1404928, "base_dirty_rate_bytes_per_s": 4300, "dirty_rate_factor": 0.708,
  "fits": [], "scenarios": ["calibration-16MiB"]
}`

// TestSchema1CalibrationNamesTheRefit: a schema-1 file is refused with the
// way out (calibrate again, or refit its records), and its testbed facts are
// still readable for that refit.
func TestSchema1CalibrationNamesTheRefit(t *testing.T) {
	_, err := ReadCalibration(strings.NewReader(schema1Calibration))
	if err == nil || !strings.Contains(err.Error(), "calibration.schema: 1, this migrlab reads schema 2") ||
		!strings.Contains(err.Error(), "--from-records") {
		t.Fatalf("schema 1: %v", err)
	}
	c, err := ReadCalibrationFacts(strings.NewReader(schema1Calibration))
	if err != nil || c.Testbed != "old" || c.Network.Latency != Duration(12800*time.Microsecond) || c.Hosts["vm1"]["podman"] != "4.3.1" {
		t.Fatalf("facts: %v %+v", err, c)
	}
	if _, err := ReadCalibrationFacts(strings.NewReader(`{"testbed": "x"}`)); err == nil {
		t.Fatal("a file without a schema read as a calibration")
	}
}

// TestNewParametersByName: sweeps and scenario files reach the new
// parameters by their YAML names, with units.
func TestNewParametersByName(t *testing.T) {
	var s Scenario
	for path, v := range map[string]string{"costs.final_dump_per_page": "3.2ms", "network.live_bandwidth": "0.72MB/s",
		"costs.round_overhead": "5KiB", "costs.final_overhead": "100KiB"} {
		if err := SetParam(&s, path, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if s.Costs.FinalDumpPerPage != Duration(3200*time.Microsecond) || s.Network.LiveBandwidth != 720e3 ||
		s.Costs.RoundOverhead != 5<<10 || s.Costs.FinalOverhead != 100<<10 {
		t.Fatalf("set: %+v %+v", s.Costs, s.Network)
	}
}

func TestOccupancy(t *testing.T) {
	for _, c := range []struct{ n, k, want float64 }{
		{0, 5, 0}, {10, 0, 0}, {1, 3, 1}, {100, 100, 100 * (1 - math.Pow(0.99, 100))}, {1e6, 10, 10 - 45e-6},
	} {
		if got := Occupancy(c.n, c.k); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("Occupancy(%g, %g) = %g, want %g", c.n, c.k, got, c.want)
		}
	}
	if k := OccupancyWrites(100, Occupancy(100, 37)); math.Abs(k-37) > 1e-9 {
		t.Errorf("OccupancyWrites inverts to %g, want 37", k)
	}
	if !math.IsInf(OccupancyWrites(10, 10), 1) || OccupancyWrites(10, 0) != 0 {
		t.Error("OccupancyWrites bounds")
	}
}
