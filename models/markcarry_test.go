package models

import (
	"reflect"
	"testing"
	"time"
)

const slab = 257 * 4096 // memcached's slab step: 1 MiB and a page

// memcachedLike is a memory that grows from 1259 to 2287 pages by 10.2 s
// (four slabs) with marks at three of them, as profiled on the testbed.
func memcachedLike() Memory {
	pg := func(n int64) ByteSize { return ByteSize(n * 4096) }
	return Memory{Size: pg(2287), PageSize: 4096, Initial: pg(1259),
		Growth: []GrowthPoint{{Duration(2.2e9), pg(1516)}, {Duration(5.2e9), pg(1773)}, {Duration(10.2e9), pg(2287)}, {Duration(60e9), pg(2287)}},
		Marks:  []Mark{{Duration(1.85e9), pg(805)}, {Duration(4.13e9), pg(1062)}, {Duration(6.49e9), pg(1319)}}}
}

// TestCarriedMarksContinueARegularProgression: marks a slab apart, on a
// memory that grows a slab more after the last, get one more mark holding a
// slab more, a median gap (2.32 s) after the last, before the growth's
// linear reading (9.0 s); none beyond what it grows to.
func TestCarriedMarksContinueARegularProgression(t *testing.T) {
	m := memcachedLike()
	ks := m.CarriedMarks()
	if len(ks) != 4 || !reflect.DeepEqual(ks[:3], m.Marks) {
		t.Fatalf("marks %v, want the three and one more", ks)
	}
	if ks[3].Bytes != m.Marks[2].Bytes+slab {
		t.Errorf("carried mark holds %s, want %s", ks[3].Bytes, m.Marks[2].Bytes+slab)
	}
	if at := ks[3].After.Duration(); at != 8810*time.Millisecond {
		t.Errorf("carried mark at %s, want 8.81s (6.49 s + the 2.32 s median gap)", at)
	}
	m.Marks = ks
	if err := m.validateMarks(); err != nil {
		t.Errorf("carried marks do not validate: %v", err)
	}
	if again := m.CarriedMarks(); !reflect.DeepEqual(again, ks) {
		t.Errorf("carrying twice: %v, want %v", again, ks)
	}
}

// TestCarriedMarksFollowSlowGrowth: a fifth slab measured only by 40 s may
// have come at the marks' pace (11.13 s, two median gaps after the last);
// one that the growth's points show had not come by 20 s comes when the
// growth, linear from there, reaches it.
func TestCarriedMarksFollowSlowGrowth(t *testing.T) {
	m := memcachedLike()
	m.Size += slab
	m.Growth[3] = GrowthPoint{Duration(40e9), m.Size}
	ks := m.CarriedMarks()
	if len(ks) != 5 {
		t.Fatalf("marks %v, want two carried", ks)
	}
	if ks[4].Bytes != m.Marks[2].Bytes+2*slab {
		t.Errorf("second carried mark holds %s, want two slabs more than the last", ks[4].Bytes)
	}
	if at := ks[4].After.Duration(); at != 11130*time.Millisecond {
		t.Errorf("second carried mark at %s, want 11.13s", at)
	}
	m.Growth = append(m.Growth[:3], GrowthPoint{Duration(20e9), m.Growth[2].Bytes}, GrowthPoint{Duration(400e9), m.Size})
	ks = m.CarriedMarks()
	// 1905.6 pages at 6.49 s; two slabs more (2419.6) reached between
	// 20 s (2287) and 400 s (2544) at 20 s + 380 s * 132.6/257.
	if len(ks) != 5 || ks[4].After.Duration().Round(time.Second) != 216*time.Second {
		t.Errorf("memory that stalls until 20 s: marks %v, want the fifth slab's mark at 216 s", ks)
	}
}

// TestCarriedMarksLeaveOthersAlone: two marks (no progression to read),
// marks whose steps differ, and a memory that does not grow keep their
// marks as they are.
func TestCarriedMarksLeaveOthersAlone(t *testing.T) {
	two := memcachedLike()
	two.Marks = two.Marks[1:]
	uneven := memcachedLike()
	uneven.Marks[2].Bytes += 40 * 4096
	still := memcachedLike()
	still.Initial, still.Growth = 0, nil
	for name, m := range map[string]Memory{"two marks": two, "uneven steps": uneven, "not growing": still} {
		if ks := m.CarriedMarks(); !reflect.DeepEqual(ks, m.Marks) {
			t.Errorf("%s: marks %v, want %v", name, ks, m.Marks)
		}
	}
}

// TestProfileFitCarriesMarks: a profile whose pass saw three marks a slab
// apart while its container grew by five slabs gives a fit with two more:
// one at the marks' pace, the next when the growth reaches it.
func TestProfileFitCarriesMarks(t *testing.T) {
	const mib = 1 << 20
	pass := DirtyingPass{WindowsS: []float64{1, 5, 10, 20}, Bytes: []int64{mib, 3 * mib, 5 * mib, 6 * mib}, StartS: 0.2,
		Grown: []int64{slab / 2, 2 * slab, 4 * slab, 5 * slab},
		Marks: []MarkPoint{{AtS: 1.5, Bytes: 3 * slab}, {AtS: 3.5, Bytes: 4 * slab}, {AtS: 5.5, Bytes: 5 * slab}}}
	resident := []int64{6*mib + 5*slab}
	p, err := NewDirtyingProfile([]DirtyingPass{pass}, resident, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Fit.Memory.Marks); n != 3 {
		t.Fatalf("before the growth is known: %d marks, want the 3 seen", n)
	}
	p.SetStart(6*mib, resident)
	ks := p.Fit.Memory.Marks
	// 2.2 slabs grown at 5.7 s; 3.2 at 8.2 s (linear), but the marks'
	// pace (2 s) puts it at 7.7 s, between the same points; 4.2 slabs
	// come between 10.2 s and 20.2 s, at 12.2 s, not at 9.7 s.
	if len(ks) != 5 || ks[3].Bytes != 6*slab || ks[3].After.Duration() != 7700*time.Millisecond ||
		ks[4].Bytes != 7*slab || ks[4].After.Duration().Round(time.Millisecond) != 12200*time.Millisecond {
		t.Errorf("fit marks %v, want 6 slabs at 7.7 s and 7 slabs at 12.2 s", ks)
	}
	// Set again from a start that leaves no growth: the marks are the
	// passes' own again, none carried.
	p.SetStart(ByteSize(resident[0]), resident)
	if ks := p.Fit.Memory.Marks; len(ks) != 3 {
		t.Errorf("without growth: marks %v, want the 3 seen", ks)
	}
}
