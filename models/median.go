package models

import "slices"

// Median returns the median of v: its middle value after sorting, or for an
// even count the mean of the two middle values ((a+b)/2, which truncates
// toward zero for integer types such as time.Duration). It returns zero for an
// empty v and does not modify v. NaNs are not filtered: callers that may hold
// them drop them first.
func Median[T ~float64 | ~int64](v []T) T {
	n := len(v)
	if n == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MeanVariance returns the mean of xs and their sample variance (over
// n-1; 0 with fewer than two).
func MeanVariance(xs []float64) (mean, variance float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x / n
	}
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, ss / (n - 1)
}
