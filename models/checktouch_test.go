package models

import (
	"strings"
	"testing"
)

// TestCheckTouchValidates: memory.check_touch is between 0 and the size.
func TestCheckTouchValidates(t *testing.T) {
	m := Memory{Size: 8 << 20, PageSize: 4096, CheckTouch: 9 << 20}
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "memory.check_touch") {
		t.Errorf("a touch above the size: %v", err)
	}
	m.CheckTouch = -1
	if err := m.Validate(); err == nil || !strings.Contains(err.Error(), "memory.check_touch") {
		t.Errorf("a negative touch: %v", err)
	}
	m.CheckTouch = 8 << 20
	if err := m.Validate(); err != nil {
		t.Errorf("a touch of the whole memory: %v", err)
	}
}

// TestProfileCarriesCheckTouch: a profile's check touch goes into its fit's
// memory (at most its size) and into the scenario it writes.
func TestProfileCarriesCheckTouch(t *testing.T) {
	passes := []DirtyingPass{
		{WindowsS: []float64{1, 10}, Bytes: []int64{100 << 12, 900 << 12}},
		{WindowsS: []float64{1, 10}, Bytes: []int64{120 << 12, 1000 << 12}},
	}
	p, err := NewDirtyingProfile(passes, []int64{2048 << 12, 2048 << 12}, 4096)
	if err != nil {
		t.Fatal(err)
	}
	p.SetCheckTouch(1310 << 12)
	if p.CheckTouch != 1310<<12 || p.Fit.Memory.CheckTouch != 1310<<12 {
		t.Errorf("touch %s, the fit's %s, want 1310 pages", p.CheckTouch, p.Fit.Memory.CheckTouch)
	}
	out, err := ProfiledScenario([]byte("name: x\nnetwork: {bandwidth: 1MB/s}\n"), p, "x.profile.json")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseScenario(strings.NewReader(string(out)))
	if err != nil || back.Memory.CheckTouch != 1310<<12 {
		t.Fatalf("the written scenario's check_touch: %v %s\n%s", err, back.Memory.CheckTouch, out)
	}
	p.SetCheckTouch(p.Fit.Memory.Size + 4096)
	if p.Fit.Memory.CheckTouch != p.Fit.Memory.Size {
		t.Errorf("a touch above the fit's memory: %s, want its size %s", p.Fit.Memory.CheckTouch, p.Fit.Memory.Size)
	}
}

// TestCheckTouchAtWhatTheContainerHolds: a growing container's check
// writes memory.check_touch less what the container has yet to add (at
// least nothing); a container that does not grow writes it whole.
func TestCheckTouchAtWhatTheContainerHolds(t *testing.T) {
	const mib = ByteSize(1 << 20)
	m := Memory{Size: 8 * mib, PageSize: 4096, Initial: 4 * mib, CheckTouch: 5 * mib,
		Growth: []GrowthPoint{{After: Duration(10e9), Bytes: 8 * mib}}}
	for _, c := range []struct{ resident, want ByteSize }{
		{8 * mib, 5 * mib}, {6 * mib, 3 * mib}, {4 * mib, 1 * mib}, {3 * mib, 0}, {9 * mib, 5 * mib},
	} {
		if got := m.CheckTouchAt(c.resident); got != c.want {
			t.Errorf("holding %s: the check writes %s, want %s", c.resident, got, c.want)
		}
	}
	m.Initial, m.Growth = 0, nil
	if got := m.CheckTouchAt(2 * mib); got != 5*mib {
		t.Errorf("a container that does not grow: the check writes %s, want all of %s", got, m.CheckTouch)
	}
}
