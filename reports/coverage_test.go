package reports

import (
	"math"
	"testing"
)

// TestCoverageCheck: the exact binomial test's verdicts at 90 %, and its
// p-values against hand-computed ones.
func TestCoverageCheck(t *testing.T) {
	for _, c := range []struct {
		k, n int
		want string
	}{
		{6, 6, "consistent"},   // 0.9^6 = 0.53
		{4, 6, "consistent"},   // p = 0.11
		{3, 6, "too narrow"},   // p = 0.016
		{0, 4, "too narrow"},   // p = 1e-4
		{30, 30, "consistent"}, // 0.9^30 = 0.042, plus the counts rarer than it
		{60, 60, "too wide"},   // 0.9^60 = 0.0018
		{30, 36, "consistent"},
		{27, 36, "too narrow"},
		{0, 0, ""},
	} {
		if got := CoverageCheck(c.k, c.n, 0.9); got != c.want {
			t.Errorf("%d of %d: %q, want %q (p %.4f)", c.k, c.n, got, c.want, binomialTwoSided(c.k, c.n, 0.9))
		}
	}
	// 6 of 6 is the likeliest count (0.53): p = 1. 4 of 6 (0.098): the
	// counts no likelier are 0 to 4, all but 5 (0.354) and 6.
	if got := binomialTwoSided(6, 6, 0.9); got != 1 {
		t.Errorf("p-value of 6 of 6: %.6f, want 1", got)
	}
	want := 1 - math.Pow(0.9, 6) - 6*math.Pow(0.9, 5)*0.1
	if got := binomialTwoSided(4, 6, 0.9); math.Abs(got-want) > 1e-9 {
		t.Errorf("p-value of 4 of 6: %.6f, want %.6f", got, want)
	}
	if got := binomialPMF(2, 4, 0.5); math.Abs(got-0.375) > 1e-12 {
		t.Errorf("P(2 of 4 | 0.5) = %g, want 0.375", got)
	}
}
