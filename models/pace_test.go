package models

import (
	"reflect"
	"testing"
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
