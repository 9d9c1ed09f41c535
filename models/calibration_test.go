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
		BaseMemory: 3 << 20, BaseDirtyRate: 1e5, DirtyRateFactor: 1.1}
	s := Scenario{Name: "x", Memory: Memory{Size: 64 << 20, PageSize: 4096},
		Workload: Workload{DirtyRate: 1e6, WWS: 4 << 20}, Network: Network{Bandwidth: 1}}
	got := c.Apply(s.WithDefaults())
	if got.Memory.Size != 67<<20 || got.Workload.WWS != 7<<20 || got.Workload.DirtyRate != 1.2e6 {
		t.Fatalf("applied: size %d wws %d rate %g", got.Memory.Size, got.Workload.WWS, float64(got.Workload.DirtyRate))
	}
	if got.Network.Bandwidth != 50e6 || !got.Costs.RestoreAllPages || got.Costs.RestoreBase.Duration() != 8*time.Second {
		t.Fatalf("applied network/costs: %+v %+v", got.Network, got.Costs)
	}
	var buf bytes.Buffer
	if err := WriteCalibration(&buf, c); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCalibration(&buf)
	if err != nil || back.Costs.RestoreBase != c.Costs.RestoreBase || back.BaseMemory != c.BaseMemory {
		t.Fatalf("round trip: %v %+v", err, back)
	}
	c.Schema = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "migrlab calibrate") {
		t.Fatalf("old schema: %v", err)
	}
}
