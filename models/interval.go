package models

import (
	"math"
	"slices"
)

// Interval is a prediction's interval: the range in which the measured value
// is expected with probability Confidence, from Draws predictions under the
// calibration's own deviations (see Deviation).
type Interval struct {
	Confidence float64    `json:"confidence"`
	Draws      int        `json:"draws"`
	DowntimeS  [2]float64 `json:"downtime_s"`
	TotalTimeS [2]float64 `json:"total_time_s"`
	BytesSent  [2]float64 `json:"bytes_sent"`
}

// NewInterval is the prediction interval of the given confidence for one
// more draw like draws: the classical interval for a new observation from n
// samples (mean plus or minus Student's t with n-1 degrees of freedom times
// the standard deviation times sqrt(1+1/n)), taken on the logarithms, since
// the draws come from multiplicative deviations. A few draws then give a
// wider interval, not a narrower one, as their empirical quantiles would.
// groups, when not nil, is each draw's group: the calibration repetition
// it came from (see groupedSpread). Metrics with a draw at or below zero
// take the draws' range instead. It is nil below three draws.
func NewInterval(confidence float64, draws []Metrics, groups []int) *Interval {
	if len(draws) < 3 {
		return nil
	}
	iv := &Interval{Confidence: confidence, Draws: len(draws)}
	of := func(f func(Metrics) float64) [2]float64 {
		xs := make([]float64, len(draws))
		for i, m := range draws {
			xs[i] = f(m)
		}
		return PredictionInterval(xs, groups, confidence)
	}
	iv.DowntimeS = of(func(m Metrics) float64 { return m.DowntimeS })
	iv.TotalTimeS = of(func(m Metrics) float64 { return m.TotalTimeS })
	iv.BytesSent = of(func(m Metrics) float64 { return float64(m.BytesSent) })
	return iv
}

// ModelError is a model's error beyond the testbed's noise, per metric: the
// root mean square of the natural logarithm of measured over predicted
// (0.1: about 10 % either way), from migrations the prediction was not
// fitted to.
type ModelError struct {
	DowntimeS  float64 `json:"downtime_log_rms"`
	TotalTimeS float64 `json:"total_time_log_rms"`
	Bytes      float64 `json:"bytes_log_rms"`
}

// Widen adds the model error e to the interval: on the logarithms, the
// half-width and e's normal quantile at the interval's confidence add in
// quadrature (independent errors), about the same centre. An interval that
// the testbed's noise made 10 % wide either way and an error of 0.1 give
// one about 20 % wide either way at 90 %.
func (iv *Interval) Widen(e ModelError) {
	z := math.Sqrt2 * math.Erfinv(iv.Confidence)
	widen := func(b *[2]float64, e float64) {
		if !(b[0] > 0) || !(b[1] >= b[0]) || !(e > 0) {
			return
		}
		c, half := math.Sqrt(b[0]*b[1]), math.Log(b[1]/b[0])/2
		half = math.Hypot(half, z*e)
		b[0], b[1] = c*math.Exp(-half), c*math.Exp(half)
	}
	widen(&iv.DowntimeS, e.DowntimeS)
	widen(&iv.TotalTimeS, e.TotalTimeS)
	widen(&iv.BytesSent, e.Bytes)
}

// PredictionInterval is NewInterval's interval for one metric, from its
// draws xs (at least two) in groups (nil: independent draws).
func PredictionInterval(xs []float64, groups []int, confidence float64) [2]float64 {
	logs := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) {
			return [2]float64{slices.Min(xs), slices.Max(xs)}
		}
		logs[i] = math.Log(x)
	}
	mean, variance, df := pooledSpread(logs)
	if len(groups) == len(logs) {
		if v, d, ok := groupedSpread(logs, groups, mean); ok {
			variance, df = v, d
		}
	}
	half := studentT(1-(1-confidence)/2, df) * math.Sqrt(variance)
	// Never narrower than the draws themselves (exp(log(x)) may round off x).
	return [2]float64{min(math.Exp(mean-half), slices.Min(xs)), max(math.Exp(mean+half), slices.Max(xs))}
}

// pooledSpread is the mean of independent draws xs and the variance of one
// more draw about it, s^2 (1 + 1/n), with its n-1 degrees of freedom.
func pooledSpread(xs []float64) (mean, variance, df float64) {
	n := float64(len(xs))
	mean, s2 := MeanVariance(xs)
	return mean, s2 * (1 + 1/n), n - 1
}

// groupedSpread is the variance of one more draw about the draws' mean,
// and its degrees of freedom, when the draws come in groups that share a level: the
// calibration's migrations of one repetition ran minutes apart and share
// the testbed's pace then, so a new migration, at another time, departs by
// the spread between repetitions as well as within one. With the one-way
// random-effects model x = mu + a_group + e, the variance of a new draw is
// sigma_a^2 (1 + 1/r) + sigma_e^2 (1 + 1/n), from the between- and
// within-group mean squares, its degrees of freedom by Satterthwaite's
// approximation: near r-1 when the groups differ, near n-r when they do
// not. ok is false (take the pooled spread) when the groups do not differ
// more than their draws do, or when there are fewer than two groups or a
// group of a single draw.
func groupedSpread(xs []float64, groups []int, mean float64) (variance, df float64, ok bool) {
	sum, count := map[int]float64{}, map[int]float64{}
	for i, x := range xs {
		sum[groups[i]] += x
		count[groups[i]]++
	}
	n, r := float64(len(xs)), float64(len(count))
	if r < 2 {
		return 0, 0, false
	}
	var ssw, ssb, sumSq float64
	for i, x := range xs {
		g := sum[groups[i]] / count[groups[i]]
		ssw += (x - g) * (x - g)
	}
	for k, c := range count {
		if c < 2 {
			return 0, 0, false
		}
		g := sum[k] / c
		ssb += c * (g - mean) * (g - mean)
		sumSq += c * c
	}
	msw, msb := ssw/(n-r), ssb/(r-1)
	if msb <= msw {
		return 0, 0, false
	}
	n0 := (n - sumSq/n) / (r - 1) // the groups' effective size
	a := (1 + 1/r) / n0           // sigma_a^2 (1 + 1/r) in mean squares
	b := 1 + 1/n - a
	variance = a*msb + b*msw
	df = variance * variance / (a*msb*a*msb/(r-1) + b*msw*b*msw/(n-r))
	return variance, df, true
}

// studentT is the p-quantile (p above 1/2) of Student's t distribution
// with df degrees of freedom, not necessarily whole: bisection on its
// distribution function.
func studentT(p, df float64) float64 {
	lo, hi := 0.0, 1.0
	for studentCDF(hi, df) < p && hi < 1e6 {
		lo, hi = hi, 2*hi
	}
	for range 100 {
		mid := (lo + hi) / 2
		if studentCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// studentCDF is Student's t distribution function at t >= 0 with df
// degrees of freedom: 1 - I_x(df/2, 1/2)/2 with x = df/(df+t^2).
func studentCDF(t, df float64) float64 {
	return 1 - incompleteBeta(df/(df+t*t), df/2, 0.5)/2
}

// incompleteBeta is the regularized incomplete beta function I_x(a, b),
// by its continued fraction (modified Lentz), on the side where it
// converges quickly.
func incompleteBeta(x, a, b float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	lab, _ := math.Lgamma(a + b)
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	front := math.Exp(lab - la - lb + a*math.Log(x) + b*math.Log1p(-x))
	if x > (a+1)/(a+b+2) {
		return 1 - front*betaFraction(1-x, b, a)/b
	}
	return front * betaFraction(x, a, b) / a
}

// betaFraction is the continued fraction of the incomplete beta function.
func betaFraction(x, a, b float64) float64 {
	const tiny = 1e-300
	guard := func(v float64) float64 {
		if math.Abs(v) < tiny {
			return tiny
		}
		return v
	}
	c, d := 1.0, 1/guard(1-(a+b)*x/(a+1))
	h := d
	for m := 1.0; m <= 300; m++ {
		var step float64
		for _, num := range []float64{
			m * (b - m) * x / ((a + 2*m - 1) * (a + 2*m)),
			-(a + m) * (a + b + m) * x / ((a + 2*m) * (a + 2*m + 1)),
		} {
			d = 1 / guard(1+num*d)
			c = guard(1 + num/c)
			step = d * c
			h *= step
		}
		if math.Abs(step-1) < 1e-12 {
			break
		}
	}
	return h
}

// Quantile is the q-quantile of sorted xs by linear interpolation between
// order statistics (R's type 7); NaN for no values.
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	i := int(math.Floor(h))
	if i >= n-1 {
		return sorted[n-1]
	}
	if i < 0 {
		return sorted[0]
	}
	return sorted[i] + (h-float64(i))*(sorted[i+1]-sorted[i])
}
