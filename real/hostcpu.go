package real

import (
	"context"
	"sync"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/cpustat"
)

// ProcStat is where the orchestrator reads its CPU times.
const ProcStat = cpustat.ProcStat

// hostCPUTimeout bounds each read of a host's CPU times through its agent.
const hostCPUTimeout = 5 * time.Second

// cpuMeter measures the CPU load over a migration: the orchestrator's own
// (on a local testbed it runs the hosts' VMs, so its steal time, the
// hypervisor under it running someone else, slows every phase at once) and
// the source's and the target's, read by their agents (other work in a
// guest, or a hypervisor running something else beside it).
type cpuMeter struct {
	at [3]cpustat.Times
	ok [3]bool
}

// cpuKeys are the Extra keys of each machine's busy and stolen shares, in
// cpuMeter's order: the orchestrator, the source, the target.
var cpuKeys = [3][2]string{
	{models.ExtraOrchestratorBusy, models.ExtraOrchestratorSteal},
	{models.ExtraSourceBusy, models.ExtraSourceSteal},
	{models.ExtraTargetBusy, models.ExtraTargetSteal},
}

// otherKeys are the Extra keys of the busy share outside the migration's
// own groups, in cpuMeter's order (the orchestrator's is not measured).
var otherKeys = [3]string{"", models.ExtraSourceOther, models.ExtraTargetOther}

// readCPU reads the orchestrator's and both hosts' CPU times (the hosts'
// at once; a host whose agent does not answer, an older one without GET
// /v1/cpu for example, is left unmeasured and logged).
func (r *runner) readCPU(ctx context.Context) (m cpuMeter) {
	m.at[0], m.ok[0] = cpustat.Read(ProcStat)
	var wg sync.WaitGroup
	for i, h := range []*Host{r.src, r.dst} {
		if h == nil || h.Agent == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hostCPUTimeout)
			defer cancel()
			t, err := h.Agent.CPU(cctx)
			if err != nil {
				r.logf("%s: CPU load not measured: %v", h.Name, err)
				return
			}
			m.at[i+1], m.ok[i+1] = t, true
		}()
	}
	wg.Wait()
	return m
}

// readPace times package pace's fixed work on the source, then on the
// target (one after the other: two guests working at once on the TCG
// testbed slow each other), as Extra keys: those of a reading right before
// the migration, or right after it (after); a host whose agent does not
// answer (an older one without GET /v1/pace) is left out and logged.
func (r *runner) readPace(ctx context.Context, after bool) map[string]float64 {
	keys := [2]string{models.ExtraSourcePace, models.ExtraTargetPace}
	if after {
		keys = [2]string{models.ExtraSourcePaceAfter, models.ExtraTargetPaceAfter}
	}
	out := map[string]float64{}
	for _, h := range []struct {
		host *Host
		key  string
	}{{r.src, keys[0]}, {r.dst, keys[1]}} {
		if h.host == nil || h.host.Agent == nil {
			continue
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hostCPUTimeout)
		s, err := h.host.Agent.Pace(cctx)
		cancel()
		if err != nil {
			r.logf("%s: pace not measured: %v", h.host.Name, err)
			continue
		}
		out[h.key] = s
	}
	return out
}

// shares returns the busy and stolen shares of every machine measured at
// both a and b, and the hosts' busy shares outside the migration's own
// groups where both readings counted them, as Extra keys.
func (a cpuMeter) shares(b cpuMeter) map[string]float64 {
	out := map[string]float64{}
	for i := range a.at {
		if !a.ok[i] || !b.ok[i] {
			continue
		}
		if busy, steal, ok := cpustat.Shares(a.at[i], b.at[i]); ok {
			out[cpuKeys[i][0]], out[cpuKeys[i][1]] = busy, steal
		}
		if other, ok := cpustat.OtherShare(a.at[i], b.at[i]); ok && otherKeys[i] != "" {
			out[otherKeys[i]] = other
		}
	}
	return out
}
