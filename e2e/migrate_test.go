//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/real/image"
	"github.com/migrlab/migrlab/testbed"
)

// podmanTags are the build tags of anything that imports the podman bindings.
const podmanTags = "remote exclude_graphdriver_btrfs btrfs_noversion exclude_graphdriver_devicemapper containers_image_openpgp"

// agents is the shared testbed with the migrlab agent and the workload image
// installed on every host (once, by infra.Up with AgentBinary and ImageArchives).
var agents struct {
	once sync.Once
	tb   *real.Testbed
	err  error
}

// requireAgents returns the shared testbed, connected to its agents.
func requireAgents(t *testing.T) *real.Testbed {
	t.Helper()
	tb := requireTestbed(t)
	agents.once.Do(func() { agents.tb, agents.err = installAgents(tb) })
	if agents.err != nil {
		t.Fatalf("installing the migrlab agent and the workload image: %v", agents.err)
	}
	return agents.tb
}

// installAgents builds migrlab (static) and the workload image archive and
// applies the testbed's spec again with them: the host module installs
// migrlab-agent.service and podman-loads the image on every host.
func installAgents(tb *testbed.Testbed) (*real.Testbed, error) {
	ctx, cancel := context.WithTimeout(testCtx, 20*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "migrlab-e2e-agent-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// Kept under the testbed's state root (removed at teardown): the tests
	// that run the CLI use the same binary (cliBinary).
	bin := cliBinary()
	if err := os.MkdirAll(filepath.Dir(bin), 0o700); err != nil {
		return nil, err
	}
	logf("building migrlab (static, podman tags) for the agent")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.CommandContext(ctx, goBin, "build", "-tags", podmanTags, "-ldflags", "-s -w", "-o", bin, "./cmd/migrlab")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/migrlab: %v\n%s", err, out)
	}
	if out, err := exec.CommandContext(ctx, bin, "agent", "--help").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("migrlab has no agent command (register cli.AgentCommand in internal/cli/app.go): %v\n%s", err, out)
	}
	logf("building the workload image")
	wbin := filepath.Join(dir, "migrlab-workload")
	if err := image.BuildWorkloadBinary(ctx, wbin); err != nil {
		return nil, err
	}
	archive := filepath.Join(dir, "workload.tar")
	f, err := os.Create(archive)
	if err != nil {
		return nil, err
	}
	id, err := image.BuildArchive(f, wbin, image.DefaultName)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	spec := testbedSpec
	spec.AgentBinary = bin
	spec.AgentArgs = []string{"--listen", "127.0.0.1:7070", "--listen", "private:7070"}
	spec.ImageArchives = append(append([]string(nil), spec.ImageArchives...), archive)
	logf("installing the agent and the workload image %s (infra.Up)", id[:19])
	start := time.Now()
	up, err := infra.Up(ctx, spec)
	if err != nil {
		return nil, err
	}
	logf("agent and image installed in %.0fs", time.Since(start).Seconds())
	return real.Open(ctx, up)
}

// fullRound is how long the longest full 64 MiB dump and transfer took on
// this testbed so far (set by the cold and pre-copy tests); MiGrror's trigger
// is chosen after it, so that sync rounds follow the first one even on a
// slow (emulated, shared) testbed.
var fullRound struct {
	sync.Mutex
	d time.Duration
}

func noteFullRound(r models.Round) {
	fullRound.Lock()
	defer fullRound.Unlock()
	fullRound.d = max(fullRound.d, r.Duration())
}

// migrrorTrigger returns 1.2 x the measured full round + 30 s, within [60 s, 5 min].
func migrrorTrigger() time.Duration {
	fullRound.Lock()
	defer fullRound.Unlock()
	if fullRound.d == 0 {
		return 2 * time.Minute
	}
	return min(max(fullRound.d*6/5+30*time.Second, time.Minute), 5*time.Minute).Round(time.Second)
}

// logWriter sends progress lines to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// scenario is the small workload every migration test uses: 64 MiB, 64 page
// writes per second over a 4 MiB writable working set.
func scenario(t *testing.T, name string, yaml string) models.Scenario {
	t.Helper()
	return scenarioMem(t, name, "64MiB", yaml)
}

// scenarioMem is scenario with another memory size.
func scenarioMem(t *testing.T, name, mem, yaml string) models.Scenario {
	t.Helper()
	s, err := models.ParseScenario(strings.NewReader("name: " + name + `
memory: {size: ` + mem + `}
workload: {dirty_rate: 256KiB/s, wws: 4MiB}
` + yaml))
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return s
}

// migrate runs one real migration and checks what every migration must
// show: the record's basics, the probe's continuity checks, the memory
// verification, and exactly one copy running (on the target).
func migrate(t *testing.T, tb *real.Testbed, s models.Scenario, technique string) *real.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx, 25*time.Minute)
	defer cancel()
	out, err := real.Run(ctx, tb, s, technique, 0, real.Options{Keep: true, StepTimeout: 8 * time.Minute, Warmup: 2 * time.Second,
		Progress: logWriter{t}, Provenance: models.Provenance{Tool: "migrlab", Version: "e2e"}})
	if out != nil {
		t.Cleanup(func() { removeAll(t, out) })
	}
	if err != nil {
		t.Fatalf("%s migration: %v", technique, err)
	}
	rec := out.Record
	m := rec.Metrics
	if rec.Backend != models.BackendReal || rec.Technique != technique || rec.Error != "" {
		t.Errorf("record: backend %q, technique %q, error %q", rec.Backend, rec.Technique, rec.Error)
	}
	if m.BytesSent <= 0 || m.PagesSent <= 0 || m.DowntimeS <= 0 || m.ProbeDowntimeS <= 0 || m.TotalTimeS < m.DowntimeS {
		t.Errorf("metrics: bytes %d, pages %d, downtime %.2fs, probe downtime %.2fs, total %.2fs",
			m.BytesSent, m.PagesSent, m.DowntimeS, m.ProbeDowntimeS, m.TotalTimeS)
	}
	for _, k := range []string{"final_pages_written", "final_frozen_s", "restore_s", "throughput_bytes_per_s"} {
		if _, ok := m.Extra[k]; !ok && len(out.Members) == 1 {
			t.Errorf("metrics.extra has no %s: %v", k, m.Extra)
		}
	}
	// The orchestrator runs the VMs: it was busy during the migration, and
	// the stolen share is a fraction.
	busy, okB := m.Extra[models.ExtraOrchestratorBusy]
	steal, okS := m.Extra[models.ExtraOrchestratorSteal]
	if !okB || !okS || busy <= 0.05 || busy > 1 || steal < 0 || steal > 1 {
		t.Errorf("orchestrator CPU during the migration: busy %v (%v), steal %v (%v); want busy in (0.05, 1], steal in [0, 1]", busy, okB, steal, okS)
	}
	// Each host's agent measured its own CPU: the source dumped and the
	// target restored, so both were busy for part of it.
	for _, k := range [][2]string{{models.ExtraSourceBusy, models.ExtraSourceSteal}, {models.ExtraTargetBusy, models.ExtraTargetSteal}} {
		busy, okB := m.Extra[k[0]]
		steal, okS := m.Extra[k[1]]
		if !okB || !okS || busy <= 0.01 || busy > 1 || steal < 0 || steal > 1 {
			t.Errorf("%s %v (%v), %s %v (%v): want busy in (0.01, 1], steal in [0, 1]", k[0], busy, okB, k[1], steal, okS)
		}
	}
	for _, k := range []string{"kernel", "podman", "criu", "runtime_version", "accel", "aslr"} {
		if rec.Provenance.Host[k] == "" {
			t.Errorf("provenance.host has no %s: %v", k, rec.Provenance.Host)
		}
	}
	for _, mb := range out.Members {
		if !mb.Probe.NonceUnchanged || !mb.Probe.CounterContinued {
			t.Errorf("%s: probe: nonce unchanged %v, counters continued %v (seq %d -> %d)", mb.Name,
				mb.Probe.NonceUnchanged, mb.Probe.CounterContinued, mb.Probe.LastSource.Reply.Seq, mb.Probe.FirstTarget.Reply.Seq)
		}
		if mb.Verify.Verify == nil || !mb.Verify.Verify.Match {
			t.Errorf("%s: memory not verified on the target: %+v", mb.Name, mb.Verify.Verify)
		}
		if mb.Probe.Downtime <= 0 {
			t.Errorf("%s: client-side downtime %v", mb.Name, mb.Probe.Downtime)
		}
		ictx, icancel := context.WithTimeout(ctx, 3*time.Minute)
		_, onSrc, serr := out.Source.Agent.Inspect(ictx, mb.ID)
		c, onDst, terr := out.Target.Agent.Inspect(ictx, mb.ID)
		icancel()
		if serr != nil || terr != nil {
			t.Fatalf("%s: inspect: %v, %v", mb.Name, serr, terr)
		}
		if onSrc || !onDst || !c.Running {
			t.Errorf("%s: on source %v, on target %v (running %v): want exactly one copy, running on the target", mb.Name, onSrc, onDst, c.Running)
		}
		t.Logf("%s: downtime %.2fs (client-side %.2fs), rounds %d, %d bytes", mb.Name,
			mb.Result.Downtime().Seconds(), mb.Probe.Downtime.Seconds(), len(mb.Result.Rounds), mb.Result.BytesSent())
	}
	t.Logf("record metrics: %+v", m)
	return out
}

// removeAll removes the run's containers from both hosts.
func removeAll(t *testing.T, out *real.Outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, mb := range out.Members {
		for _, h := range []*real.Host{out.Source, out.Target} {
			if h == nil {
				continue
			}
			if err := h.Agent.Remove(ctx, mb.Name); err != nil {
				t.Errorf("cleanup: removing %s on %s: %v", mb.Name, h.Name, err)
			}
		}
	}
}

func TestMigrateCold(t *testing.T) {
	tb := requireAgents(t)
	out := migrate(t, tb, scenario(t, "e2e-cold", ""), models.Cold)
	m := out.Record.Metrics
	if m.LiveRounds != 0 || m.StopReason != string(models.StopNoRounds) || len(out.Record.Rounds) != 1 || !out.Record.Rounds[0].Frozen {
		t.Errorf("cold: live rounds %d, stop %q, rounds %+v", m.LiveRounds, m.StopReason, out.Record.Rounds)
	}
	noteFullRound(out.Group.Members[0].Rounds[0])
	// A cold dump sends all memory: at least the 64 MiB the workload holds.
	if m.PagesSent < 64<<20/4096 {
		t.Errorf("cold: %d pages sent, want >= %d", m.PagesSent, 64<<20/4096)
	}
}

func TestMigratePreCopy(t *testing.T) {
	tb := requireAgents(t)
	s := scenario(t, "e2e-precopy", "precopy: {stop: {threshold: 4KiB, max_rounds: 3}}\n")
	out := migrate(t, tb, s, models.PreCopy)
	rec := out.Record
	if rec.Metrics.LiveRounds != 3 || rec.Metrics.StopReason != string(models.StopMaxRounds) {
		t.Fatalf("pre-copy: %d live rounds, stop %q; want 3, max_rounds", rec.Metrics.LiveRounds, rec.Metrics.StopReason)
	}
	noteFullRound(out.Group.Members[0].Rounds[0])
	for i, r := range rec.Rounds[:3] {
		if r.Frozen || r.Bytes <= 0 || r.Pages <= 0 {
			t.Errorf("round %d: %+v", i, r)
		}
		if i > 0 && r.Pages >= rec.Rounds[i-1].Pages {
			t.Errorf("round %d sent %d pages, not fewer than round %d (%d): the rounds do not shrink", i, r.Pages, i-1, rec.Rounds[i-1].Pages)
		}
	}
	// The first round is the full memory; the chained rounds only the dirtied pages.
	// (The Go runtime of the workload dirties some pages of its own besides the WWS.)
	if rec.Rounds[0].Pages < 64<<20/4096 || rec.Rounds[1].Pages > rec.Rounds[0].Pages/4 {
		t.Errorf("round pages %d, %d: want the full 64 MiB, then a fraction of it", rec.Rounds[0].Pages, rec.Rounds[1].Pages)
	}
	final := rec.Rounds[3]
	if !final.Frozen || final.Pages >= rec.Rounds[0].Pages/4 {
		t.Errorf("final round %+v: want frozen and much smaller than the first", final)
	}
	requireOtherWork(t, rec)
}

// requireOtherWork checks that a real record carries each host's CPU busy
// outside the migration's own groups (the run guard's other work in the
// guest), below its whole busy share: the container, podman's service
// (CRIU) and the agent used some of it.
func requireOtherWork(t *testing.T, rec models.Record) {
	t.Helper()
	x := rec.Metrics.Extra
	for _, k := range [][2]string{{models.ExtraSourceOther, models.ExtraSourceBusy}, {models.ExtraTargetOther, models.ExtraTargetBusy}} {
		other, ok := x[k[0]]
		busy := x[k[1]]
		if !ok || other < 0 || other >= busy {
			t.Errorf("%s = %v (recorded %v), %s = %v: want the share outside the migration's own cgroups, below the busy share", k[0], other, ok, k[1], busy)
		}
		t.Logf("%s %.3f of %s %.3f", k[0], other, k[1], busy)
	}
}

func TestMigrateMiGrror(t *testing.T) {
	tb := requireAgents(t)
	const threshold = 512 << 10
	trigger := migrrorTrigger()
	t.Logf("MiGrror trigger %v (after the full rounds measured so far)", trigger)
	s := scenario(t, "e2e-migrror", fmt.Sprintf("migrror: {sync_threshold: 512KiB, trigger: %gs}\n", trigger.Seconds()))
	out := migrate(t, tb, s, models.MiGrror)
	rec := out.Record
	if rec.Metrics.StopReason != string(models.StopTrigger) || rec.Metrics.LiveRounds < 2 {
		t.Fatalf("MiGrror: %d live rounds, stop %q; want >= 2 and trigger", rec.Metrics.LiveRounds, rec.Metrics.StopReason)
	}
	// Every sync round after the first fired because soft-dirty counted at
	// least sync_threshold dirty bytes: it dumps at least about that much.
	for i, r := range rec.Rounds {
		if i == 0 || r.Frozen {
			continue
		}
		if r.Pages*4096 < threshold*9/10 {
			t.Errorf("sync round %d dumped %d pages (%d bytes) < sync threshold %d", i, r.Pages, r.Pages*4096, threshold)
		}
	}
	if trig := out.Group.Members[0].TriggerAt; out.Group.Members[0].FreezeAt < trig {
		t.Errorf("froze at %v before the trigger %v", out.Group.Members[0].FreezeAt, trig)
	}
}

func TestMigrateGroup(t *testing.T) {
	tb := requireAgents(t)
	for _, tc := range []struct {
		mode      models.GroupMode
		technique string
		yaml      string
	}{
		{models.GroupSequential, models.Cold, ""},
		{models.GroupParallel, models.PreCopy, "precopy: {stop: {threshold: 4KiB, max_rounds: 2}}\n"},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			// Two 32 MiB containers: 64 MiB in all, like the single-container tests.
			s := scenarioMem(t, "e2e-group-"+string(tc.mode), "32MiB", tc.yaml+"group: {containers: 2, mode: "+string(tc.mode)+"}\n")
			out := migrate(t, tb, s, tc.technique)
			m := out.Record.Metrics
			if len(out.Members) != 2 || m.Extra["members"] != 2 {
				t.Fatalf("%d members, extra %v", len(out.Members), m.Extra)
			}
			gd := out.Group.Downtime()
			if m.GroupDowntimeS <= 0 || m.GroupDowntimeS != gd.Seconds() || gd < out.Group.Members[0].Downtime() || gd < out.Group.Members[1].Downtime() {
				t.Errorf("group downtime %.2fs (record %.2fs), member downtimes %v, %v", gd.Seconds(), m.GroupDowntimeS,
					out.Group.Members[0].Downtime(), out.Group.Members[1].Downtime())
			}
			a, b := out.Group.Members[0], out.Group.Members[1]
			overlap := a.FreezeAt < b.Resume.End && b.FreezeAt < a.Resume.End
			if tc.mode == models.GroupSequential && (overlap || b.FreezeAt < a.Resume.End) {
				t.Errorf("sequential: member 2 froze at %v, before member 1 resumed at %v", b.FreezeAt, a.Resume.End)
			}
			if tc.mode == models.GroupParallel && a.Rounds[0].Start > b.Rounds[0].End {
				t.Errorf("parallel: member 2 started at %v, after member 1's first round ended at %v", b.Rounds[0].Start, a.Rounds[0].End)
			}
			t.Logf("group %s: group downtime %.2fs, client-side %.2fs", tc.mode, m.GroupDowntimeS, m.Extra["group_probe_downtime_s"])
		})
	}
}
