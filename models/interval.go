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
// Metrics with a draw at or below zero take the draws' range instead. It is
// nil below three draws.
func NewInterval(confidence float64, draws []Metrics) *Interval {
	if len(draws) < 3 {
		return nil
	}
	iv := &Interval{Confidence: confidence, Draws: len(draws)}
	of := func(f func(Metrics) float64) [2]float64 {
		xs := make([]float64, len(draws))
		for i, m := range draws {
			xs[i] = f(m)
		}
		return predictionInterval(xs, confidence)
	}
	iv.DowntimeS = of(func(m Metrics) float64 { return m.DowntimeS })
	iv.TotalTimeS = of(func(m Metrics) float64 { return m.TotalTimeS })
	iv.BytesSent = of(func(m Metrics) float64 { return float64(m.BytesSent) })
	return iv
}

// PredictionInterval is NewInterval's interval for one metric, from its
// draws xs (at least two).
func PredictionInterval(xs []float64, confidence float64) [2]float64 {
	return predictionInterval(xs, confidence)
}

// predictionInterval is NewInterval's interval for one metric.
func predictionInterval(xs []float64, confidence float64) [2]float64 {
	n := float64(len(xs))
	logs := make([]float64, len(xs))
	for i, x := range xs {
		if !(x > 0) {
			return [2]float64{slices.Min(xs), slices.Max(xs)}
		}
		logs[i] = math.Log(x)
	}
	var mean, ss float64
	for _, l := range logs {
		mean += l / n
	}
	for _, l := range logs {
		ss += (l - mean) * (l - mean)
	}
	half := studentT(1-(1-confidence)/2, n-1) * math.Sqrt(ss/(n-1)) * math.Sqrt(1+1/n)
	// Never narrower than the draws themselves (exp(log(x)) may round off x).
	return [2]float64{min(math.Exp(mean-half), slices.Min(xs)), max(math.Exp(mean+half), slices.Max(xs))}
}

// studentT is the p-quantile of Student's t distribution with df degrees
// of freedom (Hill's series in the normal quantile; within 0.5 % from three
// degrees of freedom up).
func studentT(p, df float64) float64 {
	z := math.Sqrt2 * math.Erfinv(2*p-1)
	z3, z5, z7 := z*z*z, math.Pow(z, 5), math.Pow(z, 7)
	return z + (z3+z)/(4*df) + (5*z5+16*z3+3*z)/(96*df*df) + (3*z7+19*z5+17*z3-15*z)/(384*df*df*df)
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
