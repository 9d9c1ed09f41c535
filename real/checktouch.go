package real

import (
	"context"
	"fmt"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// What an app's check writes (models.Memory.CheckTouch). A migration runs
// the check right before the freeze, with the load paused, and the final
// dump sends every page it wrote. The profile measures it the same way:
// with the load paused, a dirtying window with the check run inside it,
// less the same window without (the app's own background writes), on the
// profiled container after its passes; a first run of the check, before
// both, times it at the dataset's size then, which sets the window.

// checkTouchLead is how long the check waits after the window's request:
// time for the agent to clear the soft-dirty bits first (a check started
// before the clear is counted short).
const checkTouchLead = time.Second

// checkTouchWindow is the window that holds the check: its lead, twice as
// long as the check's first run took and a second more, at least 3 s, at
// most agent.MaxDirtyingWindow.
func checkTouchWindow(took time.Duration) time.Duration {
	return min(max(3*time.Second, checkTouchLead+2*took+time.Second), agent.MaxDirtyingWindow)
}

// touchOf is the memory a check wrote: the pages a window counted with it
// less those the same window counted without it (none below zero).
func touchOf(with, without uint64, pageSize int) models.ByteSize {
	if with <= without {
		return 0
	}
	return models.ByteSize((with - without) * uint64(pageSize))
}

// checkTouch measures what the app's check writes on the profiled
// container id at addr on h, pausing its load (left paused: the profile
// ends with it). 0 without a check.
func (r *runner) checkTouch(ctx context.Context, h *Host, id, addr string) (models.ByteSize, error) {
	if r.app == nil || r.app.app.Check.Exec == "" {
		return 0, nil
	}
	if err := r.app.hooks.pauseLoad(ctx); err != nil {
		return 0, fmt.Errorf("pausing the load to measure what the check writes: %w", err)
	}
	took, err := r.timeCheck(ctx, addr)
	if err != nil {
		return 0, err
	}
	window := checkTouchWindow(took)
	req := agent.DirtyingRequest{Windows: []time.Duration{window}}
	sctx, cancel := context.WithTimeout(ctx, window+r.opt.StepTimeout)
	without, err := h.Agent.Dirtying(sctx, id, req)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("the app's writes with its load paused on %s: %w", h.Name, err)
	}
	type pass struct {
		p   agent.DirtyingPass
		err error
	}
	done := make(chan pass, 1)
	sctx, cancel = context.WithTimeout(ctx, window+r.opt.StepTimeout)
	defer cancel()
	go func() {
		p, err := h.Agent.Dirtying(sctx, id, req)
		done <- pass{p, err}
	}()
	if !sleepCtx(ctx, checkTouchLead) {
		return 0, ctx.Err()
	}
	cctx, ccancel := context.WithTimeout(ctx, appCheckTimeout)
	began := time.Now()
	_, cerr := r.app.hooks.check(cctx, addr)
	took = time.Since(began)
	ccancel()
	with := <-done
	if cerr != nil {
		return 0, fmt.Errorf("app.check.exec while measuring what it writes: %w", cerr)
	}
	if with.err != nil {
		return 0, fmt.Errorf("the app's writes with its check on %s: %w", h.Name, with.err)
	}
	if len(with.p.Pages) == 0 || len(without.Pages) == 0 {
		return 0, fmt.Errorf("the app's writes with its check on %s: the agent counted no window", h.Name)
	}
	touch := touchOf(with.p.Pages[0], without.Pages[0], with.p.PageSize)
	note := ""
	if checkTouchLead+took > window {
		note = fmt.Sprintf("; the check ran %s, past the %s window, so this is a lower bound", took.Round(time.Millisecond), window)
	}
	r.logf("%s: its check wrote %s before a freeze (%s within %s with it, %s without, the load paused)%s", r.out.Members[0].Name,
		touch, models.ByteSize(with.p.Pages[0]*uint64(with.p.PageSize)), window, models.ByteSize(without.Pages[0]*uint64(without.PageSize)), note)
	return touch, nil
}

// timeCheck runs the app's check once against addr and returns how long it
// took.
func (r *runner) timeCheck(ctx context.Context, addr string) (time.Duration, error) {
	cctx, cancel := context.WithTimeout(ctx, appCheckTimeout)
	defer cancel()
	began := time.Now()
	if _, err := r.app.hooks.check(cctx, addr); err != nil {
		return 0, fmt.Errorf("app.check.exec with the load paused, before measuring what it writes: %w", err)
	}
	return time.Since(began), nil
}
