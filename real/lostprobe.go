package real

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/probe"
)

// monitorLost reports whether err says the probe monitor is gone: it runs
// in the source's agent, and an agent that was killed and restarted has
// none.
func monitorLost(err error) bool {
	var ae *agent.AgentError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// checkWithoutMonitor checks the members after a migration whose probe
// monitor was lost: each workload, at addr(m) on host on, must answer as
// the same process (the nonce of its first answer), its counter past that
// answer, its memory verified, and run on on only. The client-side downtime
// is then unknown.
func (r *runner) checkWithoutMonitor(ctx context.Context, on, other *Host, addr func(Member) string) error {
	r.logf("the probe monitor was lost with the source's agent: the client-side downtime is unknown; checking each workload's nonce, counter and memory instead")
	var errs []error
	for i := range r.out.Members {
		m := &r.out.Members[i]
		vctx, cancel := r.step(ctx)
		v, err := r.src.Agent.Verify(vctx, addr(*m))
		cancel()
		if err == nil {
			err = continued(m.First, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s on %s: %w", m.Name, on.Name, err))
			continue
		}
		m.Verify = v
		r.logf("%s: runs on %s: nonce same, counter continued (%d to %d), memory verified", m.Name, on.Name, m.First.Seq, v.Seq)
		errs = append(errs, r.onlyOn(ctx, *m, on, other))
	}
	return errors.Join(errs...)
}

// continued checks that verify reply v comes from the process that gave
// first: same nonce, a later answer, memory intact.
func continued(first, v probe.Reply) error {
	switch {
	case v.Verify == nil:
		return errors.New("not a verify reply")
	case v.Nonce != first.Nonce:
		return fmt.Errorf("restarted, not restored: nonce %s, was %s", v.Nonce, first.Nonce)
	case v.Seq <= first.Seq:
		return fmt.Errorf("counter did not continue: seq %d after %d", v.Seq, first.Seq)
	case !v.Verify.Match:
		return fmt.Errorf("memory corrupted: checksum recomputed over the memory is %s, the incremental one is %s", v.Verify.Full, v.Verify.Incremental)
	}
	return nil
}
