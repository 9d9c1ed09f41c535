package models

import "math"

// Occupancy is the expected number of distinct pages that k uniform random
// page writes touch among n pages: n(1-(1-1/n)^k). It is the dirtying model
// of the simulator's pages model, of a container runtime's writes
// (RuntimeDirtying) and of the calibration that fits them.
func Occupancy(n, k float64) float64 {
	if n < 1 || k <= 0 {
		return 0
	}
	if n == 1 {
		return 1
	}
	return n * -math.Expm1(k*math.Log1p(-1/n))
}

// OccupancyWrites inverts Occupancy: the writes k after which d of n pages
// are expected to be dirty (0 <= d < n; +Inf when d >= n).
func OccupancyWrites(n, d float64) float64 {
	switch {
	case d <= 0:
		return 0
	case d >= n:
		return math.Inf(1)
	}
	return math.Log1p(-d/n) / math.Log1p(-1/n)
}
