package reports

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/migrlab/migrlab/models"
)

// Confidence is the confidence level of every interval in this package.
const Confidence = 0.95

// MinSamplesCI is the smallest sample with a distribution-free 95% confidence
// interval for the median: its min to max covers the median with probability
// 1 - 2·0.5^n, which first reaches 0.95 at n = 6.
const MinSamplesCI = 6

// MedianCI returns the median of xs with a distribution-free confidence
// interval at level confidence, as benchstat does: the order statistics
// x(k) and x(n+1-k) with the largest k whose binomial coverage
// 1 - 2·P(Binomial(n, 1/2) <= k-1) is at least the level. When even the full
// range covers less (n too small), the estimate is the range, with Range set
// and Coverage its actual coverage. NaNs are ignored; xs is not modified.
func MedianCI(xs []float64, confidence float64) Estimate {
	s := sorted(xs)
	n := len(s)
	if n == 0 {
		return Estimate{Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	e := Estimate{Center: models.Median(s), N: n}
	k, cover := orderCI(n, confidence)
	if k == 0 {
		e.Lo, e.Hi, e.Range = s[0], s[n-1], true
		e.Coverage = 1 - 2*math.Exp(float64(n)*math.Log(0.5))
		return e
	}
	e.Lo, e.Hi, e.Coverage = s[k-1], s[n-k], cover
	return e
}

// orderCI returns the largest k (1-based, 0 if none) whose interval
// [x(k), x(n+1-k)] covers the median with probability >= level, and that
// probability. Binomial terms are computed in log space, so n may be large.
func orderCI(n int, level float64) (int, float64) {
	lgN, _ := math.Lgamma(float64(n + 1))
	logHalfN := float64(n) * math.Log(0.5)
	k, cover, cdf := 0, 0.0, 0.0
	for j := 1; 2*j <= n+1; j++ {
		// cdf = P(B <= j-1)
		lgA, _ := math.Lgamma(float64(j))
		lgB, _ := math.Lgamma(float64(n - j + 2))
		cdf += math.Exp(lgN - lgA - lgB + logHalfN)
		c := 1 - 2*cdf
		if c < level {
			break
		}
		k, cover = j, c
	}
	return k, cover
}

// sorted returns the non-NaN values of xs in increasing order.
func sorted(xs []float64) []float64 {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	sort.Float64s(s)
	return s
}

// mean of xs (NaN when empty).
func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// bootstrapResamples is the number of resamples of MeanCI.
const bootstrapResamples = 2000

// bootstrapSeed seeds MeanCI's generator, so reports are reproducible.
const bootstrapSeed = 0x6d6967726c6162 // "migrlab"

// MeanCI returns the mean of xs with a percentile-bootstrap confidence interval
// at level confidence (2000 resamples from a fixed seed, so the result is
// deterministic). Below MinSamplesCI samples a bootstrap says little: the
// estimate is then the range, with Range set. NaNs are ignored.
func MeanCI(xs []float64, confidence float64) Estimate {
	s := sorted(xs)
	n := len(s)
	if n == 0 {
		return Estimate{Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	e := Estimate{Center: mean(s), N: n}
	if n < MinSamplesCI {
		e.Lo, e.Hi, e.Range = s[0], s[n-1], true
		return e
	}
	rng := rand.New(rand.NewPCG(bootstrapSeed, uint64(n)))
	means := make([]float64, bootstrapResamples)
	for b := range means {
		sum := 0.0
		for range n {
			sum += s[rng.IntN(n)]
		}
		means[b] = sum / float64(n)
	}
	sort.Float64s(means)
	alpha := (1 - confidence) / 2
	e.Lo = quantile(means, alpha)
	e.Hi = quantile(means, 1-alpha)
	e.Coverage = confidence
	return e
}

// quantile of sorted s at p by linear interpolation between order statistics.
func quantile(s []float64, p float64) float64 {
	h := p * float64(len(s)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// relErr returns the relative error of a prediction, (predicted - measured) /
// |measured|; ok is false when measured is zero and the error is undefined.
func relErr(predicted, measured float64) (float64, bool) {
	if measured == 0 || math.IsNaN(measured) || math.IsNaN(predicted) {
		return math.NaN(), false
	}
	return (predicted - measured) / math.Abs(measured), true
}

// apes returns the absolute percentage errors (as fractions) of the pairs whose
// measured value is non-zero, and how many pairs were skipped.
func apes(predicted, measured []float64) (out []float64, skipped int) {
	for i := range predicted {
		r, ok := relErr(predicted[i], measured[i])
		if !ok {
			skipped++
			continue
		}
		out = append(out, math.Abs(r))
	}
	return out, skipped
}
