package models

import "fmt"

// DirtyCurve is a measured dirtying curve (`migrlab profile`'s median): the
// distinct bytes a container dirtied within a window of each length after a
// round started. Where it is set, the simulator takes the dirty memory from
// it instead of from dirty_rate, wws and the hot split, which then only
// extend it: between two points it is linear, before the first it rises
// from 0, and beyond the last it grows by what the workload's model adds.
// The windows are at the workload's base pace: under a rate_trace a window
// counts the trace's factor, as the writes do.
type DirtyCurve struct {
	Points []DirtyPoint `yaml:"points" json:"points"`
}

// DirtyPoint is the dirtying within one window.
type DirtyPoint struct {
	Window Duration `yaml:"window" json:"window"`
	Bytes  ByteSize `yaml:"bytes" json:"bytes"`
}

// MaxCurvePoints bounds a curve.
const MaxCurvePoints = 256

// Empty reports whether no curve is set.
func (c DirtyCurve) Empty() bool { return len(c.Points) == 0 }

// Validate checks the points against the memory; the error names the point.
func (c DirtyCurve) Validate(m Memory) error {
	if len(c.Points) > MaxCurvePoints {
		return fmt.Errorf("workload.curve.points: at most %d points, got %d", MaxCurvePoints, len(c.Points))
	}
	for i, p := range c.Points {
		if p.Window <= 0 || (i > 0 && p.Window <= c.Points[i-1].Window) {
			return fmt.Errorf("workload.curve.points[%d].window: windows must be above 0 and increase, got %s", i, p.Window)
		}
		if p.Bytes < 0 || p.Bytes > m.Size || (i > 0 && p.Bytes < c.Points[i-1].Bytes) {
			return fmt.Errorf("workload.curve.points[%d].bytes: must be between the previous point's and memory.size (%s), got %s", i, m.Size, p.Bytes)
		}
	}
	return nil
}
