package real

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// Profiling (`migrlab profile`): a scenario's container (its app, or the
// synthetic workload) runs on one host under its load, and the host's agent
// measures, in several passes, the distinct pages it dirties within windows
// of time after clearing its soft-dirty bits (agent.DirtyingRequest). The
// profiled container is one of its own, removed at the end, that no
// migration touches; the agent refuses a container with a pre-dump chain.

// DefaultProfileWindows are the windows of a pass: from a tenth of a second
// (a short pre-copy round) to a minute (a long one, or MiGrror's interval).
var DefaultProfileWindows = []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute}

// Defaults of ProfileOptions.
const (
	DefaultProfilePasses = 3
	// DefaultProfileWarmup is a run's (DefaultWarmup): the profile measures
	// the container at the age `migrlab run` migrates it.
	DefaultProfileWarmup = DefaultWarmup
)

// ProfileWarmupFor is the profile warmup that measures a container at the
// age a migration run with Options.Warmup w starts at (0: DefaultWarmup;
// negative: none).
func ProfileWarmupFor(w time.Duration) time.Duration {
	if w == 0 {
		return DefaultWarmup
	}
	return max(w, -1)
}

// ProfileOptions configure Profile. Zero values mean defaults.
type ProfileOptions struct {
	// Host to profile on (default: the testbed's first host).
	Host string
	// Windows of each pass (default DefaultProfileWindows).
	Windows []time.Duration
	// Passes (default DefaultProfilePasses).
	Passes int
	// Warmup under load before the first pass (default DefaultProfileWarmup;
	// negative: none). A migration that starts after the same warmup (the
	// run's --warmup) finds the container as the profile's fit starts it,
	// which matters for a container that grows.
	Warmup time.Duration
	// Image of the synthetic workload (default agent.DefaultImage).
	Image string
	// HostPort the container's port is published on (default DefaultHostPort).
	HostPort int
	// StepTimeout bounds every agent operation (default DefaultStepTimeout).
	StepTimeout time.Duration
	// Progress receives one line per step (nil: none).
	Progress io.Writer
	// Provenance of the profile (tool, version, commit).
	Provenance models.Provenance
}

// Profile measures how scenario s's container dirties its memory on one
// host of the testbed and returns the profile with its fit.
func Profile(ctx context.Context, tb *Testbed, s models.Scenario, opt ProfileOptions) (models.DirtyingProfile, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return models.DirtyingProfile{}, err
	}
	if s.Group.Containers > 1 {
		return models.DirtyingProfile{}, fmt.Errorf("group.containers: a profile measures one container; set group.containers to 1 (got %d)", s.Group.Containers)
	}
	if opt.Passes == 0 {
		opt.Passes = DefaultProfilePasses
	}
	if len(opt.Windows) == 0 {
		opt.Windows = DefaultProfileWindows
	}
	if opt.Warmup == 0 {
		opt.Warmup = DefaultProfileWarmup
	}
	opt.Warmup = max(opt.Warmup, 0)
	req := agent.DirtyingRequest{Windows: opt.Windows}
	if err := req.Validate(); err != nil {
		return models.DirtyingProfile{}, err
	}
	if opt.Passes < 1 || opt.Passes > 20 {
		return models.DirtyingProfile{}, fmt.Errorf("passes: give 1 to 20, got %d", opt.Passes)
	}
	ro := Options{Source: opt.Host, Image: opt.Image, HostPort: opt.HostPort, StepTimeout: opt.StepTimeout, Progress: opt.Progress}.withDefaults(tb)
	if ro.Target == ro.Source {
		ro.Target = tb.Hosts[0].Name
	}
	src, err := tb.Host(ro.Source)
	if err != nil {
		return models.DirtyingProfile{}, err
	}
	dst, err := tb.Host(ro.Target)
	if err != nil {
		return models.DirtyingProfile{}, err
	}
	out := &Outcome{Record: models.Record{Seed: models.DeriveSeed(s, 0)}}
	r := &runner{s: s, opt: ro, tb: tb, src: src, dst: dst, out: out}
	defer r.cleanup()
	name := containerName(s.Name, "profile", 0, 0)
	if s.App.Enabled() {
		err = r.launchApp(ctx, name)
	} else {
		err = r.launchWorkload(ctx, 0, name)
	}
	if err != nil {
		return models.DirtyingProfile{}, err
	}
	r.logf("%s: running under its load for %s before the first pass", name, opt.Warmup)
	if !sleepCtx(ctx, opt.Warmup) {
		return models.DirtyingProfile{}, ctx.Err()
	}
	if err := r.loadAlive(ctx); err != nil {
		return models.DirtyingProfile{}, err
	}
	id := out.Members[0].ID
	// The resident memory at the container's age now, before the passes:
	// a migration after the same warmup starts from it; the passes measure
	// how it grows from there (models.DirtyingProfile.SetStart).
	warm := time.Now()
	start, err := src.Agent.Dirtying(ctx, id, agent.DirtyingRequest{Windows: opt.Windows[:1]})
	if err != nil {
		return models.DirtyingProfile{}, fmt.Errorf("%s: resident memory after the warmup on %s: %w", name, src.Name, err)
	}
	var passes []models.DirtyingPass
	var resident []int64
	var pageSize, procs int
	cpuFrom := r.readCPU(ctx)
	for i := 0; i < opt.Passes; i++ {
		sctx, cancel := context.WithTimeout(ctx, opt.Windows[len(opt.Windows)-1]+ro.StepTimeout)
		at := time.Since(warm)
		p, err := src.Agent.Dirtying(sctx, id, req)
		cancel()
		if err != nil {
			return models.DirtyingProfile{}, fmt.Errorf("%s: dirtying pass %d on %s: %w", name, i+1, src.Name, err)
		}
		mp := models.DirtyingPass{StartS: at.Seconds()}
		for _, k := range p.Marks {
			mp.Marks = append(mp.Marks, models.MarkPoint{AtS: k.At.Seconds(), Bytes: int64(k.Pages) * int64(p.PageSize)})
		}
		for j := range p.Pages {
			mp.WindowsS = append(mp.WindowsS, p.Windows[j].Seconds())
			mp.Bytes = append(mp.Bytes, int64(p.Pages[j])*int64(p.PageSize))
			if len(p.Anon) == len(p.Pages) {
				mp.Grown = append(mp.Grown, (int64(p.Anon[j])-int64(p.AnonAtClear))*int64(p.PageSize))
			}
		}
		passes, pageSize, procs = append(passes, mp), p.PageSize, p.Processes
		resident = append(resident, int64(p.Resident)*int64(p.PageSize))
		r.logf("%s: pass %d: %s within %.1fs, %s within %.1fs (%s resident, %d processes)%s", name, i+1,
			models.ByteSize(mp.Bytes[0]), mp.WindowsS[0], models.ByteSize(mp.Bytes[len(mp.Bytes)-1]), mp.WindowsS[len(mp.WindowsS)-1],
			models.ByteSize(resident[i]), p.Processes, marksNote(mp.Marks))
	}
	conditions := cpuFrom.shares(r.readCPU(ctx))
	if err := r.loadAlive(ctx); err != nil {
		return models.DirtyingProfile{}, fmt.Errorf("the load stopped during the profile, so it measured an idle app: %w", err)
	}
	touch, err := r.checkTouch(ctx, src, id, out.Members[0].SourceAddr)
	if err != nil {
		return models.DirtyingProfile{}, fmt.Errorf("%s: %w", name, err)
	}
	prof, err := models.NewDirtyingProfile(passes, resident, pageSize)
	if err != nil {
		return prof, err
	}
	prof.Scenario, prof.Image, prof.Host, prof.Processes = s.Name, s.App.Image, src.Name, procs
	prof.Created = time.Now().UTC().Format(time.RFC3339)
	prof.Warmup = models.Duration(opt.Warmup)
	prof.Conditions = conditions
	prof.SetStart(models.ByteSize(int64(start.Resident)*int64(start.PageSize)), resident)
	prof.SetCheckTouch(touch)
	if g := prof.GrowthWarning(); g != "" {
		r.logf("warning: %s", g)
	}
	prof.Provenance = provenance(opt.Provenance, tb, src, dst)
	return prof, nil
}

// marksNote says what whole-mapping marks a pass saw ("" for none): how
// many, when, and the most one of them held (a mapping marked again holds
// what it held when marked before, so their sum would count it twice).
func marksNote(ks []models.MarkPoint) string {
	if len(ks) == 0 {
		return ""
	}
	var most int64
	var at []string
	for _, k := range ks {
		most = max(most, k.Bytes)
		at = append(at, fmt.Sprintf("%.1fs", k.AtS))
	}
	return fmt.Sprintf("; %d whole-mapping marks at %s, the largest of %s held", len(ks), strings.Join(at, ", "), models.ByteSize(most))
}
