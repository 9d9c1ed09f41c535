package models

import (
	"reflect"
	"testing"
	"time"
)

// TestPaced: a pace multiplies a rate trace's factors (or becomes a
// constant one), and the runtime's rate, and leaves the rest; a pace of 0
// or 1 leaves the workload alone.
func TestPaced(t *testing.T) {
	w := Workload{DirtyRate: 1 << 20, WWS: 4 << 20, Runtime: RuntimeDirtying{Memory: 1 << 20, Hot: 64 << 10, Rate: 100 << 10}}
	got := w.Paced(0.5)
	if want := (Trace{Points: []TracePoint{{At: 0, Factor: 0.5}}}); !reflect.DeepEqual(got.RateTrace, want) {
		t.Errorf("trace %+v, want a constant 0.5", got.RateTrace)
	}
	if got.Runtime.Rate != 50<<10 || got.Runtime.Hot != w.Runtime.Hot || got.DirtyRate != w.DirtyRate || got.WWS != w.WWS {
		t.Errorf("paced workload %+v", got)
	}
	w.RateTrace = Trace{Points: []TracePoint{{At: 0, Factor: 1}, {At: Duration(2e9), Factor: 3}}, Until: Duration(9e9)}
	got = w.Paced(2)
	if p := got.RateTrace.Points; p[0].Factor != 2 || p[1].Factor != 6 || p[1].At != Duration(2e9) || got.RateTrace.Until != Duration(9e9) {
		t.Errorf("paced trace %+v", got.RateTrace)
	}
	if w.RateTrace.Points[1].Factor != 3 {
		t.Error("Paced changed its receiver's trace")
	}
	for _, f := range []float64{0, 1, -1} {
		if !reflect.DeepEqual(w.Paced(f), w) {
			t.Errorf("pace %g changed the workload", f)
		}
	}
}

// TestOnApp: an app's factors run its load at their pace and scale its
// resident memory (its growth kept in time); zero factors leave the
// scenario as it is.
func TestOnApp(t *testing.T) {
	s := Scenario{Memory: Memory{Size: 16 << 20, PageSize: 4096, Initial: 4 << 20,
		Growth: []GrowthPoint{{After: Duration(10 * time.Second), Bytes: 14 << 20}}},
		Workload: Workload{DirtyRate: 1 << 20, WWS: 4 << 20}}
	got := Deviation{Pace: 0.5, Resident: 0.5}.OnApp(s)
	if want := (Trace{Points: []TracePoint{{At: 0, Factor: 0.5}}}); !reflect.DeepEqual(got.Workload.RateTrace, want) {
		t.Errorf("trace %+v, want a constant 0.5", got.Workload.RateTrace)
	}
	if got.Memory.Initial != 2<<20 || got.Memory.Growth[0].Bytes != 7<<20 || got.Memory.Growth[0].After != s.Memory.Growth[0].After {
		t.Errorf("resident x0.5: %+v", got.Memory)
	}
	if got := (Deviation{}).OnApp(s); !reflect.DeepEqual(got, s) {
		t.Errorf("no factors changed the scenario: %+v", got)
	}
}
