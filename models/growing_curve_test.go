package models

import (
	"reflect"
	"strings"
	"testing"
)

// TestGrowingCurveIsWhatTheGrowingPassesDirtiedBeyondTheirGrowth: a
// container that fills while profiled (its first pass grows, the later ones
// do not) gets, beside its median curve, what its growing pass dirtied
// beyond what it grew by, at the windows where it still grew and no mark
// had fallen: here 0.5, 1 and 2 s (at 5 s a mark falls, at 10 s it grew no
// more), never below the window before.
func TestGrowingCurveIsWhatTheGrowingPassesDirtiedBeyondTheirGrowth(t *testing.T) {
	const kib, mib = 1 << 10, 1 << 20
	ws := []float64{0.5, 1, 2, 5, 10}
	passes := []DirtyingPass{
		{WindowsS: ws, StartS: 0.3,
			Bytes: []int64{500 * kib, 700 * kib, 1000 * kib, 3 * mib, 4 * mib},
			Grown: []int64{100 * kib, 320 * kib, 560 * kib, 2 * mib, 2 * mib},
			Marks: []MarkPoint{{AtS: 4, Bytes: 512 * kib}}},
		{WindowsS: ws, StartS: 60.4, Bytes: []int64{600 * kib, 900 * kib, 1400 * kib, 3 * mib, 5 * mib}, Grown: make([]int64, 5)},
		{WindowsS: ws, StartS: 120.5, Bytes: []int64{620 * kib, 880 * kib, 1500 * kib, 3 * mib, 5 * mib}, Grown: make([]int64, 5)},
	}
	resident := []int64{6 * mib, 6 * mib, 6 * mib}
	p, err := NewDirtyingProfile(passes, resident, 4096)
	if err != nil {
		t.Fatal(err)
	}
	p.SetStart(3*mib, resident)
	want := []DirtyPoint{{Duration(0.5e9), 400 * kib}, {Duration(1e9), 400 * kib}, {Duration(2e9), 440 * kib}}
	if got := p.Fit.Workload.Curve.Growing; !reflect.DeepEqual(got, want) {
		t.Errorf("growing curve %v\nwant           %v", got, want)
	}
	if got := p.Fit.Workload.Curve.Points[1].Bytes; got != 880*kib {
		t.Errorf("the curve at 1 s: %s, want the passes' median, 880 KiB", got)
	}
	s := Scenario{Name: "fills", Memory: p.Fit.Memory, Workload: p.Fit.Workload, Network: Network{Bandwidth: mib}}.WithDefaults()
	if err := s.Validate(); err != nil {
		t.Errorf("the fit does not validate: %v", err)
	}
	out, err := ProfiledScenario([]byte("name: x\nnetwork: {bandwidth: 1MB/s}\n"), p, "x.profile.json")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseScenario(strings.NewReader(string(out)))
	if err != nil || !reflect.DeepEqual(back.Workload.Curve.Growing, want) {
		t.Errorf("the written scenario's growing curve: %v %v\n%s", err, back.Workload.Curve.Growing, out)
	}
	p.SetStart(5.75*mib, resident) // grew 4 %: a constant memory, no growing curve
	if g := p.Fit.Workload.Curve.Growing; g != nil {
		t.Errorf("a container that did not grow: growing curve %v, want none", g)
	}
}

// TestGrowingCurveNeedsACurve: workload.curve.growing without points is
// refused, with the field named.
func TestGrowingCurveNeedsACurve(t *testing.T) {
	m := Memory{Size: 1 << 20}
	c := DirtyCurve{Growing: []DirtyPoint{{Window: Duration(1e9), Bytes: 4096}}}
	if err := c.Validate(m); err == nil || err.Error() != "workload.curve.growing: needs workload.curve.points (the curve once the container stops growing)" {
		t.Errorf("error %v", err)
	}
}

// TestApplyRaisesAnAppsGrowingCurve: Calibration.Apply adds an app's round
// pages to each point of its growing curve (at most its memory), and the
// curve reads so between and beyond its points.
func TestApplyRaisesAnAppsGrowingCurve(t *testing.T) {
	const kib = 1 << 10
	s := Scenario{Name: "app-g", App: App{Image: "localhost/x"},
		Memory: Memory{Size: 1024 * kib, PageSize: 4096},
		Workload: Workload{Curve: DirtyCurve{
			Points:  []DirtyPoint{{Window: Duration(1e9), Bytes: 800 * kib}},
			Growing: []DirtyPoint{{Window: Duration(1e9), Bytes: 400 * kib}, {Window: Duration(3e9), Bytes: 1000 * kib}}}},
		Network: Network{Bandwidth: 1 << 20}}.WithDefaults()
	c := Calibration{Apps: map[string]Deviation{"app-g": {RoundPages: 10}}}
	got := c.Apply(s).Workload.Curve
	want := []DirtyPoint{{Window: Duration(1e9), Bytes: 440 * kib}, {Window: Duration(3e9), Bytes: 1024 * kib}}
	if !reflect.DeepEqual(got.Growing, want) {
		t.Errorf("growing curve %v, want %v", got.Growing, want)
	}
	for _, c := range []struct {
		w    Duration
		want ByteSize
	}{{Duration(0.5e9), 220 * kib}, {Duration(2e9), 732 * kib}, {Duration(10e9), 1024 * kib}} {
		if b := got.GrowingAt(c.w); b != c.want {
			t.Errorf("growing curve at %s: %s, want %s", c.w, b, c.want)
		}
	}
	if b := s.Workload.Curve.Growing[0].Bytes; b != 400*kib {
		t.Errorf("Apply changed the scenario's own curve: %s", b)
	}
}
