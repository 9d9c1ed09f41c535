package real

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/testbed"
)

// Shaping is a scenario's network enforced on the private link with Linux
// traffic control, the way Mininet's links and most testbeds do it: on each
// host's private interface, a netem qdisc at the root adds the one-way delay
// (with jitter) and the loss, and a token bucket (tbf) under it holds the
// rate. In that order a packet is delayed first and then waits its turn at
// the rate, so a standing queue adds to the delay as it would on a real
// bottleneck (netem's own rate, or netem under a rate limiter, hides the
// delay behind the queue). Both directions are shaped alike: the data one way,
// the acknowledgements and the probes' answers the other.
type Shaping struct {
	// Rate is what the token bucket lets through, in bytes per second of
	// frames (TCP carries models.Goodput of it).
	Rate models.Rate
	// Delay and Jitter are netem's delay and its variation, one way.
	Delay, Jitter time.Duration
	// Loss is the fraction of packets netem drops, one way.
	Loss float64
	// Trace multiplies Rate over the migration's time, from its start.
	Trace models.Trace
}

// ShapingOf returns the shaping of network n; ok is false for a native
// (unset) network, which is left alone.
func ShapingOf(n models.Network) (sh Shaping, ok bool) {
	if n.Native() {
		return Shaping{}, false
	}
	return Shaping{Rate: n.Bandwidth, Delay: n.Latency.Duration(), Jitter: n.Jitter.Duration(),
		Loss: float64(n.Loss), Trace: n.BandwidthTrace}, true
}

// Peak returns the highest rate the shaping asks for over its trace.
func (sh Shaping) Peak() models.Rate {
	f := 1.0
	if len(sh.Trace.Points) > 0 {
		f = 0
		for _, p := range sh.Trace.Points {
			f = math.Max(f, p.Factor)
		}
	}
	return models.Rate(float64(sh.Rate) * f)
}

// minShapedRate is the rate of a trace step whose factor is 0 (an outage):
// a token bucket cannot be closed, 1 kB/s carries almost nothing.
const minShapedRate = 1000

// tbfArgs returns the token bucket's parameters at rate bytes per second:
// a burst of 10 ms at the rate (two full frames at least) and a queue that
// holds the bandwidth-delay product of the shaped round trip (100 ms at
// least), which a single TCP flow needs to keep the link busy.
func (sh Shaping) tbfArgs(rate float64) string {
	rate = math.Max(rate, minShapedRate)
	burst := int64(math.Max(2*models.TCPFrame, rate*0.010))
	queue := max(100*time.Millisecond, 2*(sh.Delay+sh.Jitter)+20*time.Millisecond)
	return fmt.Sprintf("tbf rate %dbit burst %d latency %dus", int64(math.Round(rate*8)), burst, queue.Microseconds())
}

// netemArgs returns netem's parameters: the delay, jitter and loss, and a
// packet limit that holds what the delay keeps in flight at the peak rate.
func (sh Shaping) netemArgs() string {
	inFlight := float64(sh.Peak()) * 2 * (sh.Delay + sh.Jitter).Seconds() / models.TCPFrame
	a := fmt.Sprintf("netem limit %d delay %dus", max(1000, int(math.Ceil(inFlight))+100), sh.Delay.Microseconds())
	if sh.Jitter > 0 {
		a += fmt.Sprintf(" %dus", sh.Jitter.Microseconds())
	}
	if sh.Loss > 0 {
		a += " loss " + strconv.FormatFloat(sh.Loss*100, 'f', -1, 64) + "%"
	}
	return a
}

// InstallScript returns the script that shapes the interface holding addr
// at factor times the rate, replacing whatever root qdisc it had. The mark
// goes first, so that even a half-installed shaping is cleared; a tc that
// fails fails the script.
func (sh Shaping) InstallScript(addr string, factor float64) string {
	return linkDev(addr) + fmt.Sprintf(`echo "$dev" > %s
tc qdisc del dev "$dev" root 2>/dev/null
tc qdisc add dev "$dev" root handle 1: %s || exit 5
tc qdisc add dev "$dev" parent 1:1 handle 10: %s || exit 5
`, testbed.ShapingMark, sh.netemArgs(), sh.tbfArgs(float64(sh.Rate)*factor))
}

// RateScript returns the script that sets the shaped interface's rate to
// factor times the rate (a step of the trace).
func (sh Shaping) RateScript(factor float64) string {
	return fmt.Sprintf(`dev=$(cat %s) || exit 4
tc qdisc change dev "$dev" parent 1:1 handle 10: %s
`, testbed.ShapingMark, sh.tbfArgs(float64(sh.Rate)*factor))
}

// ShowShapingScript prints the root qdiscs of the interface holding addr
// (what `tc qdisc show` says), for checks.
func ShowShapingScript(addr string) string {
	return linkDev(addr) + `tc qdisc show dev "$dev"`
}

// shellHost is what the shaper needs of a host: its name, its private
// address and a root shell (Host; a fake in unit tests).
type shellHost interface {
	Exec(ctx context.Context, script string) (string, error)
	name() string
	privateAddr() string
}

func (h *Host) name() string        { return h.Name }
func (h *Host) privateAddr() string { return h.PrivateAddr }

// shaper enforces one run's Shaping on both hosts of the private link and
// replays its trace.
type shaper struct {
	sh    Shaping
	hosts []shellHost
	logf  func(format string, a ...any)

	mu     sync.Mutex
	factor float64 // the trace's current factor
	steps  int     // trace steps applied
	lag    time.Duration
	stop   chan struct{}
	done   chan struct{}
}

func newShaper(sh Shaping, logf func(string, ...any), hosts ...shellHost) *shaper {
	return &shaper{sh: sh, hosts: hosts, logf: logf, factor: 1}
}

// onAll runs script(host) on every host at once.
func (s *shaper) onAll(ctx context.Context, script func(h shellHost) string) error {
	errs := make([]error, len(s.hosts))
	var wg sync.WaitGroup
	for i, h := range s.hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.Exec(ctx, script(h)); err != nil {
				errs[i] = fmt.Errorf("%s: %w", h.name(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// install shapes both hosts at the trace's first factor.
func (s *shaper) install(ctx context.Context) error {
	s.mu.Lock()
	s.factor = s.sh.Trace.FactorAt(0)
	if s.sh.Trace.Empty() {
		s.factor = 1
	}
	f := s.factor
	s.mu.Unlock()
	if err := s.onAll(ctx, func(h shellHost) string { return s.sh.InstallScript(h.privateAddr(), f) }); err != nil {
		return fmt.Errorf("shaping the private link: %w", err)
	}
	return nil
}

// reinstall shapes host h again at the current factor (after a link-cut
// fault replaced its qdisc).
func (s *shaper) reinstall(ctx context.Context, h shellHost) error {
	s.mu.Lock()
	f := s.factor
	s.mu.Unlock()
	_, err := h.Exec(ctx, s.sh.InstallScript(h.privateAddr(), f))
	return err
}

// replay applies the trace's steps at their times from origin until
// stopped; it returns at once without a trace.
func (s *shaper) replay(ctx context.Context, origin time.Time) {
	if s.sh.Trace.Empty() {
		return
	}
	s.mu.Lock()
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	stop, done := s.stop, s.done
	s.mu.Unlock()
	go func() {
		defer close(done)
		at := time.Duration(0)
		for {
			next, ok := s.sh.Trace.NextChange(at)
			if !ok {
				return
			}
			t := time.NewTimer(time.Until(origin.Add(next)))
			select {
			case <-stop:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			f := s.sh.Trace.FactorAt(next)
			s.mu.Lock()
			s.factor = f
			s.mu.Unlock()
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := s.onAll(sctx, func(shellHost) string { return s.sh.RateScript(f) })
			cancel()
			lag := time.Since(origin.Add(next))
			if err != nil {
				s.logf("link: the trace's step at %s (x%g): %v", next, f, err)
			} else {
				s.mu.Lock()
				s.steps++
				s.lag = max(s.lag, lag)
				s.mu.Unlock()
				s.logf("link: rate x%g (%s) from %s, applied %s late", f, models.Rate(float64(s.sh.Rate)*f), next, lag.Round(time.Millisecond))
			}
			at = next
		}
	}()
}

// endReplay stops the trace's replay and waits for it.
func (s *shaper) endReplay() {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.stop, s.done = nil, nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// clear stops the replay and removes the shaping from both hosts.
func (s *shaper) clear(ctx context.Context) error {
	s.endReplay()
	return s.onAll(ctx, func(shellHost) string { return testbed.ClearShapingScript })
}

// extra returns the record's description of the shaping: what was asked
// and how the trace's replay went.
func (s *shaper) extra() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := map[string]float64{
		models.ExtraLinkRate:   float64(s.sh.Rate),
		models.ExtraLinkDelay:  s.sh.Delay.Seconds(),
		models.ExtraLinkJitter: s.sh.Jitter.Seconds(),
		models.ExtraLinkLoss:   s.sh.Loss,
	}
	if !s.sh.Trace.Empty() {
		x[models.ExtraLinkTraceSteps] = float64(s.steps)
		x[models.ExtraLinkTraceLag] = s.lag.Seconds()
	}
	return x
}
