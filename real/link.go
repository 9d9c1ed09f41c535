package real

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/testbed"
)

// Link probe sizes.
const (
	// capacityProbeBytes is the bulk transfer that measures the private
	// link's capacity when a shaped run has no calibration's.
	capacityProbeBytes = 4 << 20
	// rttPings is the round trips measured before every migration.
	rttPings = 5
)

// MeasureLink measures the private link from src's agent to dst's: pings
// empty round trips, then a bulk transfer of bytes (none when 0).
func MeasureLink(ctx context.Context, src, dst *Host, pings int, bytes int64) (agent.LinkReport, error) {
	tok, err := dst.Agent.NewSink(ctx)
	if err != nil {
		return agent.LinkReport{}, err
	}
	return src.Agent.MeasureLink(ctx, agent.LinkRequest{Send: agent.Send{Target: dst.TransferAddr(), Token: tok},
		Pings: pings, Bytes: bytes})
}

// checkLink prepares the run's link: it removes shaping a killed run left on
// either host and, for a scenario with a network, refuses a rate above what
// the private link carries (Options.LinkCapacity, or a probe of it).
func (r *runner) checkLink(ctx context.Context) error {
	sctx, cancel := r.step(ctx)
	defer cancel()
	if err := clearShaping(sctx, r.logf, r.src, r.dst); err != nil {
		return err
	}
	sh, ok := ShapingOf(r.s.Network)
	if !ok {
		return nil
	}
	capacity, how := float64(r.opt.LinkCapacity), "the calibration"
	if capacity <= 0 {
		rep, err := MeasureLink(sctx, r.src, r.dst, 0, capacityProbeBytes)
		if err != nil {
			return fmt.Errorf("network: measuring the private link's capacity before shaping it: %w", err)
		}
		capacity, how = rep.Transfer.Throughput(), fmt.Sprintf("a %s probe just now", models.FormatBytes(capacityProbeBytes))
	}
	r.linkCapacity = capacity
	if gp := models.Goodput(sh.Peak()); float64(gp) > capacity {
		msg := fmt.Sprintf("network.bandwidth: %s (at its peak over the trace) carries %s of TCP payload, more than the testbed's private link: %s measured by %s",
			sh.Peak(), gp, models.Rate(capacity), how)
		if !r.opt.ForceLink {
			return fmt.Errorf("%s; ask for less, leave network out to migrate over the native link, or pass --force-link to shape it anyway (the link then delivers less than asked)", msg)
		}
		r.logf("link: %s; shaping it anyway (--force-link)", msg)
	}
	r.shaper = newShaper(sh, r.logf, r.src, r.dst)
	return nil
}

// shapeLink installs the scenario's shaping, if any, and measures the
// link's round trip as the migration will see it.
func (r *runner) shapeLink(ctx context.Context) error {
	sctx, cancel := r.step(ctx)
	defer cancel()
	if r.shaper != nil {
		sh := r.shaper.sh
		r.logf("link: shaping %s <-> %s: %s of frames, delay %s, jitter %s, loss %s", r.src.Name, r.dst.Name,
			sh.Rate, sh.Delay, sh.Jitter, models.Percent(sh.Loss))
		if err := r.shaper.install(sctx); err != nil {
			return err
		}
	}
	rep, err := MeasureLink(sctx, r.src, r.dst, rttPings, 0)
	if err != nil {
		return fmt.Errorf("link: measuring the round trip between the agents: %w", err)
	}
	r.linkRTT = rep.MedianRTT()
	r.logf("link: round trip %s", r.linkRTT.Round(100*time.Microsecond))
	return nil
}

// unshapeLink removes the run's shaping from both hosts.
func (r *runner) unshapeLink(ctx context.Context) {
	if r.shaper == nil {
		return
	}
	if err := r.shaper.clear(ctx); err != nil {
		r.logf("cleanup: removing the link's shaping: %v (run `migrlab recover` or, as root on the hosts: %s)", err,
			"tc qdisc del dev $(cat "+testbed.ShapingMark+") root")
		return
	}
	r.logf("link: shaping removed")
}

// reshape shapes host h again after a fault replaced its qdisc.
func (r *runner) reshape(ctx context.Context, h *Host) error {
	if r.shaper == nil {
		return nil
	}
	return r.shaper.reinstall(ctx, h)
}

// linkExtra returns the record's link measurements (models.ExtraLink*).
func (r *runner) linkExtra() map[string]float64 {
	x := map[string]float64{}
	if r.shaper != nil {
		x = r.shaper.extra()
		x[models.ExtraLinkCapacity] = r.linkCapacity
	}
	if r.linkRTT > 0 {
		x[models.ExtraLinkRTT] = r.linkRTT.Seconds()
	}
	return x
}

// clearShaping removes migrlab's shaping from the hosts, saying where it
// found some.
func clearShaping(ctx context.Context, logf func(string, ...any), hosts ...*Host) error {
	for _, h := range hosts {
		out, err := h.Exec(ctx, testbed.ClearShapingScript)
		if err != nil {
			return fmt.Errorf("%s: removing leftover link shaping: %w", h.Name, err)
		}
		if strings.HasPrefix(out, "cleared") {
			logf("link: removed the shaping a previous run left on %s (%s)", h.Name, strings.TrimSpace(out))
		}
	}
	return nil
}

// ClearShaping removes migrlab's link shaping from every host of the
// testbed (after a killed migration; `migrlab recover` runs it).
func ClearShaping(ctx context.Context, tb *Testbed, logf func(string, ...any)) error {
	return clearShaping(ctx, logf, tb.Hosts...)
}
