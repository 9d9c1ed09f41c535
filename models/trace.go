package models

import (
	"fmt"
	"time"
)

// TracePoint is one step of a piecewise-constant trace: from At on, the traced
// quantity is multiplied by Factor (1 = the scenario's base value).
type TracePoint struct {
	At     Duration `yaml:"at" json:"at"`
	Factor float64  `yaml:"factor" json:"factor"`
}

// Trace is a time-varying multiplier of a base value (a dirty rate or a bandwidth),
// piecewise constant, its points sorted by time. An empty trace means "always 1".
// The trace must start at 0 and covers the run up to Until; the last value holds
// until Until (or forever when Until is zero).
type Trace struct {
	Points []TracePoint `yaml:"points" json:"points"`
	// Until is how far the trace is valid; a run that outlasts it is refused
	// (zero means the last point holds forever).
	Until Duration `yaml:"until,omitempty" json:"until,omitempty"`
}

// Empty reports whether the trace has no points (a constant factor of 1).
func (t Trace) Empty() bool { return len(t.Points) == 0 }

// FactorAt returns the multiplier in force at time at.
func (t Trace) FactorAt(at time.Duration) float64 {
	f := 1.0
	for _, p := range t.Points {
		if time.Duration(p.At) > at {
			break
		}
		f = p.Factor
	}
	return f
}

// NextChange returns the time of the first point strictly after at, and false
// when the factor never changes again.
func (t Trace) NextChange(at time.Duration) (time.Duration, bool) {
	for _, p := range t.Points {
		if time.Duration(p.At) > at {
			return time.Duration(p.At), true
		}
	}
	return 0, false
}

// Covers reports whether the trace is defined at time at.
func (t Trace) Covers(at time.Duration) bool {
	return t.Until == 0 || at <= time.Duration(t.Until)
}

// Validate checks ordering and values; field names the trace in errors.
func (t Trace) Validate(field string) error {
	for i, p := range t.Points {
		if i == 0 && p.At != 0 {
			return fmt.Errorf("%s.points[0].at: the first point must be at 0, got %s", field, p.At)
		}
		if i > 0 && p.At <= t.Points[i-1].At {
			return fmt.Errorf("%s.points[%d].at: points must be in strictly increasing time order (%s after %s)", field, i, p.At, t.Points[i-1].At)
		}
		if p.Factor < 0 || p.Factor != p.Factor || p.Factor > 1e6 {
			return fmt.Errorf("%s.points[%d].factor: must be between 0 and 1e6, got %g", field, i, p.Factor)
		}
	}
	if t.Until < 0 {
		return fmt.Errorf("%s.until: must not be negative, got %s", field, t.Until)
	}
	if t.Until > 0 && len(t.Points) > 0 && t.Until < t.Points[len(t.Points)-1].At {
		return fmt.Errorf("%s.until: %s ends before the last point at %s", field, t.Until, t.Points[len(t.Points)-1].At)
	}
	return nil
}
