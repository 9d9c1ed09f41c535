package sim

import (
	"math"
	"time"

	"github.com/migrlab/migrlab/models"
)

// runtimeDirt is the container's own dirtying beside the workload's writes
// (models.RuntimeDirtying): hot pages dirty after any time at all, and a pool
// that receives uniform writes at a constant rate of its own (no rate trace).
// Units are pages and page writes per second, or bytes and bytes per second
// in the analytic model (every byte new, capped at the pool). Fresh writes
// each dirty a new page too, capped at the memory beside the WWS and the hot
// pages.
type runtimeDirt struct {
	analytic bool
	fresh    bool // every write a new unit (the analytic model's, or Fresh)
	hot      float64
	cold     float64 // the units beyond the hot ones that the writes go to
	rate     float64
}

// newRuntimeDirt returns the runtime's dirtying of scenario s, or nil when it
// dirties nothing.
func newRuntimeDirt(s models.Scenario, analytic bool) *runtimeDirt {
	rt := s.Workload.Runtime
	if rt.Zero() {
		return nil
	}
	ps := float64(s.Memory.PageSize)
	r := &runtimeDirt{analytic: analytic, fresh: analytic || rt.Fresh, hot: float64(rt.Hot), rate: float64(rt.Rate)}
	n := float64(rt.Memory - rt.Hot)
	if rt.Fresh {
		n = float64(rt.FreshExtent(s.Memory, s.Workload.WWSBytes(s.Memory)))
	}
	if !analytic {
		r.hot, r.rate, n = math.Floor(r.hot/ps), r.rate/ps, math.Floor(n/ps)
	}
	if r.rate > 0 && n >= 1 {
		r.cold = n
	} else {
		r.rate = 0
	}
	return r
}

// max returns everything the runtime can have dirty.
func (r *runtimeDirt) max() float64 {
	if r == nil {
		return 0
	}
	return r.hot + r.cold
}

// dirty returns the expected pages (bytes) the runtime dirtied over dt.
func (r *runtimeDirt) dirty(dt time.Duration) float64 {
	if r == nil || dt <= 0 {
		return 0
	}
	x := r.rate * dt.Seconds()
	if r.fresh {
		return r.hot + math.Min(x, r.cold)
	}
	return r.hot + models.Occupancy(r.cold, x)
}

// after returns the shortest dt over which the runtime dirties d, and false
// when it never does.
func (r *runtimeDirt) after(d float64) (time.Duration, bool) {
	switch {
	case r == nil || d > r.max():
		return 0, false
	case d <= 0:
		return 0, true
	case d <= r.hot:
		return 1, true // hot pages are dirty after any time at all
	}
	c := d - r.hot
	x := c // writes (bytes) of the cold pool
	if !r.fresh {
		if c >= r.cold {
			return 0, false
		}
		x = models.OccupancyWrites(r.cold, c)
	}
	return max(models.Seconds(x/r.rate), 1), true
}
