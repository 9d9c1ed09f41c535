package models

// Paced is the workload run at f times its pace (f > 0; otherwise w
// unchanged): every write it makes comes f times as often. Its rate
// trace's factors are multiplied by f (an empty trace becomes a constant
// f), which paces the writes, the windows of a measured curve and a
// growing memory's arrival alike; the runtime's own writes (Rate) are
// multiplied by f; hot pages stay dirty in every round. An app's load
// that shares its container's CPU with a dump runs slower than when it
// was profiled at rest (its probe measures how much: Deviation.Pace).
func (w Workload) Paced(f float64) Workload {
	if !(f > 0) || f == 1 {
		return w
	}
	if w.RateTrace.Empty() {
		w.RateTrace = Trace{Points: []TracePoint{{At: 0, Factor: f}}}
	} else {
		pts := make([]TracePoint, len(w.RateTrace.Points))
		for i, p := range w.RateTrace.Points {
			pts[i] = TracePoint{At: p.At, Factor: p.Factor * f}
		}
		w.RateTrace.Points = pts
	}
	w.Runtime.Rate = Rate(float64(w.Runtime.Rate) * f)
	return w
}

// OnApp is app scenario s as an app's factors d run it: its load at
// d.Pace (Workload.Paced), its resident memory scaled by d.Resident
// (Memory.WithResident) and its growing curve raised by d.RoundPages
// (Workload.WithRoundPages); a factor of zero leaves its part as it is.
func (d Deviation) OnApp(s Scenario) Scenario {
	s.Workload = s.Workload.Paced(d.Pace)
	s.Memory = s.Memory.WithResident(d.Resident)
	s.Workload = s.Workload.WithRoundPages(d.RoundPages, s.Memory)
	return s
}
