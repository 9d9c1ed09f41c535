package sim

import (
	"time"

	"github.com/migrlab/migrlab/models"
)

// Link is the network between source and target, shared by every transfer of a
// run: a fluid model in which the active transfers get a max-min fair share of
// the capacity (on one link: equal shares). Whenever a transfer starts or ends,
// or the bandwidth trace changes, the shares are recomputed and the next
// completion is rescheduled (SimGrid style).
type Link struct {
	e       *Engine
	base    float64 // bytes per second without the trace
	cap     rateFn  // bytes per second over time
	latency time.Duration
	setup   time.Duration
	// live is Bandwidth / LiveBandwidth: a live round's byte costs the link
	// this many bytes of capacity.
	live    float64
	flows   []*flow
	last    time.Duration // when the flows' remaining bytes were last updated
	version uint64        // invalidates a scheduled completion after a change
}

// flow is one transfer's bytes on the link.
type flow struct {
	rem  float64 // bytes still to send
	rate float64 // current share, bytes per second
	done *Signal
	// log, when non-nil, records (time, bytes sent) at every rate change.
	log *[]progress
	// sent is the flow's size, to compute progress.
	size float64
}

// progress is a breakpoint of a flow's piecewise-linear progress.
type progress struct {
	at   time.Duration
	sent float64
}

// NewLink returns the link of network n in engine e; every transfer also pays
// setup (models.Costs.TransferSetup) before its first byte. A lossy link
// carries no more than TCP sustains under its loss (models.TCPLossRate).
func NewLink(e *Engine, n models.Network, setup time.Duration) *Link {
	if tcp := models.TCPLossRate(2*n.Latency.Duration(), float64(n.Loss)); tcp < float64(n.Bandwidth) {
		n.LiveBandwidth = models.Rate(min(float64(n.LiveRate()), tcp))
		n.Bandwidth = models.Rate(tcp)
	}
	return &Link{e: e, base: float64(n.Bandwidth), cap: newRateFn(float64(n.Bandwidth), n.BandwidthTrace),
		latency: n.Latency.Duration(), setup: setup, live: float64(n.Bandwidth) / float64(n.LiveRate())}
}

// Active returns the number of transfers currently sending.
func (l *Link) Active() int { return len(l.flows) }

// Capacity returns the link's capacity in bytes per second at time t.
func (l *Link) Capacity(t time.Duration) float64 { return l.cap.rateAt(t) }

// Latency returns the link's one-way latency.
func (l *Link) Latency() time.Duration { return l.latency }

// Transfer sends bytes from the running process p to the target and returns
// when the last byte has arrived: TransferSetup, then the bytes at the fair
// share of the link, then the one-way latency.
func (l *Link) Transfer(p *Process, bytes int64) {
	l.transfer(p, float64(bytes), nil)
}

// TransferLive is Transfer for a live round: the bytes go at
// models.Network.LiveBandwidth (alone on the link; on a shared link the fair
// share scaled by LiveBandwidth / Bandwidth).
func (l *Link) TransferLive(p *Process, bytes int64) {
	l.transfer(p, float64(bytes)*l.live, nil)
}

// transfer sends amount bytes of link capacity (a live round's bytes are
// scaled by l.live); log, when given, records the progress in those units.
func (l *Link) transfer(p *Process, amount float64, log *[]progress) {
	p.Sleep(l.setup)
	if amount > 0 {
		e := l.e
		now := e.now
		c := l.cap.rateAt(now)
		// Fast path: alone on the link and nothing else happens until the last
		// byte is out, so the completion time is known now.
		if len(l.flows) == 0 && c > 0 {
			end := now + roundDur(amount/c)
			if end <= l.cap.next(now) && e.idleUntil(end) {
				if log != nil {
					*log = append(*log, progress{now, 0}, progress{end, amount})
				}
				p.SleepUntil(end)
				p.Sleep(l.latency)
				return
			}
		}
		f := &flow{rem: amount, size: amount, done: e.NewSignal(), log: log}
		l.update()
		l.flows = append(l.flows, f)
		f.mark(now)
		l.reschedule()
		p.Wait(f.done)
	}
	p.Sleep(l.latency)
}

func (f *flow) mark(t time.Duration) {
	if f.log != nil {
		*f.log = append(*f.log, progress{t, f.size - max(f.rem, 0)})
	}
}

// update advances every flow's remaining bytes to the current time.
func (l *Link) update() {
	now := l.e.now
	if dt := secs(now - l.last); dt > 0 {
		for _, f := range l.flows {
			f.rem -= f.rate * dt
		}
	}
	l.last = now
}

// reschedule recomputes the shares and schedules the next change: the first
// completion or the next bandwidth-trace point, whichever comes first.
func (l *Link) reschedule() {
	l.version++
	if len(l.flows) == 0 {
		return
	}
	now := l.e.now
	share := l.cap.rateAt(now) / float64(len(l.flows))
	next := l.cap.next(now)
	for _, f := range l.flows {
		if f.rate != share {
			f.rate = share
			f.mark(now)
		}
		if share > 0 {
			next = min(next, now+roundDur(max(f.rem, 0)/share))
		}
	}
	if next >= MaxTime {
		return // no capacity and no change ever: the flows stall (Run reports a deadlock)
	}
	v := l.version
	l.e.Schedule(next, func() {
		if v == l.version {
			l.step()
		}
	})
}

// step completes the flows that are done and reschedules the rest.
func (l *Link) step() {
	l.update()
	now := l.e.now
	kept := l.flows[:0]
	var finished []*flow
	for _, f := range l.flows {
		// Done when less than a nanosecond of sending is left: completion
		// times are rounded to the nearest nanosecond.
		if f.rem <= f.rate*1e-9 || f.rem <= 1e-6 {
			f.rem = 0
			finished = append(finished, f)
			continue
		}
		kept = append(kept, f)
	}
	clear(l.flows[len(kept):])
	l.flows = kept
	for _, f := range finished {
		f.mark(now)
		f.done.Trigger()
	}
	l.reschedule()
}
