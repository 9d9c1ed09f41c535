package reports

import (
	"fmt"
	"math"
)

// coverageLevel is the significance of the coverage check: a share of
// measurements inside their intervals is called off its nominal only when
// an exact binomial test rejects the nominal at this level.
const coverageLevel = 0.05

// CoverageCheck says whether covered of n measurements inside intervals of
// nominal coverage is what well-calibrated intervals give: "consistent"
// unless the exact two-sided binomial test (the probabilities of every
// count no likelier than the observed one, under the nominal) rejects it
// at coverageLevel, then "too narrow" (fewer inside) or "too wide". With
// few measurements nearly any count is consistent: 6 of 6 inside happens
// to 90 % intervals one time in two, 4 of 6 one time in ten. Empty for no
// measurements.
func CoverageCheck(covered, n int, nominal float64) string {
	if n <= 0 {
		return ""
	}
	if binomialTwoSided(covered, n, nominal) >= coverageLevel {
		return "consistent"
	}
	if float64(covered) < nominal*float64(n) {
		return "too narrow"
	}
	return "too wide"
}

// binomialTwoSided is the two-sided p-value of k successes in n trials of
// probability p: the total probability of the counts at most as likely as k.
func binomialTwoSided(k, n int, p float64) float64 {
	pk := binomialPMF(k, n, p)
	var sum float64
	for i := 0; i <= n; i++ {
		if q := binomialPMF(i, n, p); q <= pk*(1+1e-9) {
			sum += q
		}
	}
	return math.Min(1, sum)
}

// binomialPMF is the probability of k successes in n trials of probability p.
func binomialPMF(k, n int, p float64) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	switch {
	case p <= 0:
		return b2f(k == 0)
	case p >= 1:
		return b2f(k == n)
	}
	return math.Exp(lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// coverageCheckCell is the brief's cell for an ErrorStat's coverage: the
// count inside over the count with intervals, and the check.
func coverageCheckCell(st ErrorStat) Cell {
	if st.Intervals == 0 {
		return Missing()
	}
	return Label(fmt.Sprintf("%d/%d %s", st.Covered, st.Intervals, CoverageCheck(st.Covered, st.Intervals, st.Confidence)),
		CoverageCheck(st.Covered, st.Intervals, st.Confidence))
}

// pooledCoverage is the note on every interval of the brief's statistics
// together: how many measurements fell inside, and the check.
func pooledCoverage(stats []ErrorStat) string {
	covered, n := 0, 0
	conf := 0.0
	for _, st := range stats {
		covered += st.Covered
		n += st.Intervals
		if st.Intervals > 0 {
			conf = st.Confidence
		}
	}
	if n == 0 {
		return ""
	}
	check := CoverageCheck(covered, n, conf)
	phrase := map[string]string{"consistent": "consistent with", "too narrow": "too narrow for", "too wide": "too wide for"}[check]
	return fmt.Sprintf("Intervals, every technique and metric together: %d of %d measurements inside (%.0f %%), %s %.0f %% "+
		"(exact binomial test at the %.0f %% level; a row's few measurements are consistent with nearly any share).",
		covered, n, 100*float64(covered)/float64(n), phrase, 100*conf, 100*coverageLevel)
}
