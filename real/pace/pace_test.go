package pace

import "testing"

// TestMeasureTimesTheWork: a pace is a positive time, and a machine doing
// the same work twice in a row gives paces of the same order.
func TestMeasureTimesTheWork(t *testing.T) {
	a, b := Measure(), Measure()
	if a <= 0 || b <= 0 {
		t.Fatalf("paces %g, %g: want > 0", a, b)
	}
	if a > 1 {
		t.Errorf("pace %g s for %d bytes: hashing runs far slower than it should", a, workBytes)
	}
	if r := a / b; r < 0.1 || r > 10 {
		t.Errorf("paces %g and %g differ %gx on an idle test machine", a, b, r)
	}
}
