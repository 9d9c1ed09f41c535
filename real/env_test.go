package real

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/cpustat"
	"github.com/migrlab/migrlab/real/probe"
)

// fakeAgent is an agent that answers from canned values and logs the calls.
type fakeAgent struct {
	mu    sync.Mutex
	calls []string
	dirty []uint64 // successive soft-dirty page counts (the last one repeats)
	fail  string   // path suffix to fail
	pages uint64   // pages per round
	// dirtyDelay is how long a dirty-memory measurement takes, and
	// restoreDelay a restore (it goes on when the caller went away, as
	// the agent's detached steps do).
	dirtyDelay, restoreDelay time.Duration
	// present: a copy of the container is on this host (a restore makes
	// one, a Forget with remove removes it unless forgetKeeps).
	present, forgetKeeps bool
	// forgetFails makes Forget answer 500.
	forgetFails bool
	// verifyMismatch makes the workload's memory verification fail.
	verifyMismatch bool
	// stopped: the copy present here is stopped (checkpointed), not running.
	stopped bool
	// lostState: a rollback starts the container again from its image,
	// for this cause (its state lost).
	lostState string
	// dropRollbacks: the first rollbacks get their connection closed
	// without an answer, as from an agent that was killed.
	dropRollbacks int
	// announced is the last announce this agent received.
	announced agent.Incoming
	// records are the agent's migration records: kept like the agent
	// keeps them (a Forget drops the target's, a Remove both, a
	// rollback the source's).
	records []agent.Record
	// hostPort is the port the container publishes (inspect).
	hostPort int
	// cpu are the host's successive CPU times (GET /v1/cpu; the last one
	// repeats; none: 204).
	cpu []cpustat.Times
	// images are the host's image IDs by name (GET /v1/image); a load
	// (POST /v1/images) gives every name loadedID.
	images   map[string]string
	loadedID string
	// pulledID is what a pull gives (POST /v1/images/pull); "": the
	// registry is unreachable (502).
	pulledID string
}

// putRecord records that this agent's part of the migration of testID
// entered phase. f.mu held.
func (f *fakeAgent) putRecord(role, phase string, o *agent.Origin) {
	f.dropRecords(role)
	r := agent.Record{ID: testID, Name: "c", Role: role, Phase: phase, Created: time.Now(), Updated: time.Now()}
	if o != nil {
		r.Origin = *o
	}
	f.records = append(f.records, r)
}

// dropRecords removes f's records of roles. f.mu held.
func (f *fakeAgent) dropRecords(roles ...string) {
	var kept []agent.Record
	for _, r := range f.records {
		if !slices.Contains(roles, r.Role) {
			kept = append(kept, r)
		}
	}
	f.records = kept
}

func (f *fakeAgent) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/dirty") {
			time.Sleep(f.dirtyDelay)
		}
		if strings.HasSuffix(r.URL.Path, "/restore") {
			time.Sleep(f.restoreDelay)
		}
		f.mu.Lock()
		f.calls = append(f.calls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
		if f.dropRollbacks > 0 && strings.HasSuffix(r.URL.Path, "/rollback") {
			f.dropRollbacks--
			f.mu.Unlock()
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		fail := f.fail != "" && strings.HasSuffix(r.URL.Path, f.fail)
		var v any
		switch {
		case fail, f.forgetFails && r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/incoming/"):
			w.WriteHeader(http.StatusInternalServerError)
			v = map[string]string{"error": "injected failure"}
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/incoming/"):
			if r.URL.Query().Get("remove") == "true" && !f.forgetKeeps {
				f.present = false
			}
			f.dropRecords(agent.RoleTarget)
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/cpu" && len(f.cpu) > 0:
			v = f.cpu[0]
			if len(f.cpu) > 1 {
				f.cpu = f.cpu[1:]
			}
		case r.Method == http.MethodGet && r.URL.Path == "/v1/migrations":
			v = append([]agent.Record{}, f.records...)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/containers/"+testID:
			if !f.present {
				w.WriteHeader(http.StatusNotFound)
				v = map[string]string{"error": "no such container"}
				break
			}
			v = agent.Container{ID: testID, Name: "c", Running: !f.stopped, State: map[bool]string{true: "exited", false: "running"}[f.stopped], PID: 42,
				ImageID: "sha256:0123", Profile: &agent.Profile{SpecDigest: "abcd"}, HostPort: f.hostPort}
		case r.Method == http.MethodPost && r.URL.Path == "/v1/incoming":
			json.NewDecoder(r.Body).Decode(&f.announced)
			f.putRecord(agent.RoleTarget, agent.PhaseAnnounced, f.announced.Origin)
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == "/v1/image":
			id, ok := f.images[r.URL.Query().Get("name")]
			v = agent.ImageInfo{Name: r.URL.Query().Get("name"), Present: ok, ID: id}
		case r.URL.Path == "/v1/images/pull":
			name := r.URL.Query().Get("name")
			if f.pulledID == "" {
				w.WriteHeader(http.StatusBadGateway)
				v = map[string]string{"error": "podman pull " + name + ": connection refused"}
				break
			}
			if f.images == nil {
				f.images = map[string]string{}
			}
			f.images[name] = f.pulledID
			v = agent.ImageInfo{Name: name, Present: true, ID: f.pulledID}
		case r.URL.Path == "/v1/images":
			if f.images == nil {
				f.images = map[string]string{}
			}
			f.images["localhost/app:latest"] = f.loadedID
			v = agent.LoadReport{Names: []string{"localhost/app:latest"}}
		case strings.HasSuffix(r.URL.Path, "/v1/probe"):
			v = probe.Reply{Seq: 10, Writes: 5}
		case strings.HasSuffix(r.URL.Path, "/v1/verify"):
			v = probe.Reply{Seq: 11, Writes: 6, Verify: &probe.VerifyResult{Match: !f.verifyMismatch, Writes: 6}}
		case strings.HasSuffix(r.URL.Path, "/dirty"):
			d := f.dirty[0]
			if len(f.dirty) > 1 {
				f.dirty = f.dirty[1:]
			}
			v = agent.Dirty{Pages: d, Resident: 16384, PageSize: 4096}
		case strings.HasSuffix(r.URL.Path, "/rounds"):
			var req agent.RoundRequest
			json.NewDecoder(r.Body).Decode(&req)
			f.putRecord(agent.RoleSource, agent.PhaseRoundsSent, req.Origin)
			v = agent.RoundReport{Round: req.Round, DumpTime: time.Millisecond, PagesBytes: int64(f.pages) * 4096,
				Stats:    agent.DumpStats{PagesWritten: f.pages, FrozenTime: time.Millisecond},
				Transfer: agent.Transfer{Bytes: int64(f.pages)*4096 + 2048, Files: 3, Time: 2 * time.Millisecond}}
			f.pages /= 4
		case strings.HasSuffix(r.URL.Path, "/checkpoint"):
			var req agent.CheckpointRequest
			json.NewDecoder(r.Body).Decode(&req)
			f.putRecord(agent.RoleSource, agent.PhaseArchiveSent, req.Origin)
			v = agent.CheckpointReport{DumpTime: 5 * time.Millisecond, ArchiveBytes: 50000,
				Stats:    agent.DumpStats{PagesWritten: 10, FrozenTime: 4 * time.Millisecond},
				Transfer: agent.Transfer{Bytes: 51200, Time: time.Millisecond}}
		case strings.HasSuffix(r.URL.Path, "/restore"):
			f.present = true
			v = agent.RestoreReport{RestoreTime: 7 * time.Millisecond, Stats: agent.RestoreStats{PagesRestored: 16400},
				Container: agent.Container{Running: true, PID: 42}}
		case strings.HasSuffix(r.URL.Path, "/rollback"):
			f.stopped = false
			f.dropRecords(agent.RoleSource)
			v = agent.RollbackReport{Container: agent.Container{Running: true, PID: 7}, StateLost: f.lostState != "", Cause: f.lostState}
		case r.Method == http.MethodDelete && r.URL.Path == "/v1/containers/"+testID:
			f.present = false
			f.dropRecords(agent.RoleSource, agent.RoleTarget)
			w.WriteHeader(http.StatusNoContent)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
		f.mu.Unlock()
		if v != nil {
			json.NewEncoder(w).Encode(v)
		}
	})
}

func (f *fakeAgent) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, "\n")
}

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fakeHosts serves src and dst; the container runs on the source.
func fakeHosts(t *testing.T, src, dst *fakeAgent) (*Host, *Host) {
	src.present = true
	s1, s2 := httptest.NewServer(src.handler()), httptest.NewServer(dst.handler())
	t.Cleanup(s1.Close)
	t.Cleanup(s2.Close)
	h1 := &Host{Name: "vm1", PrivateAddr: "10.10.0.1", AgentPort: 7070, Agent: agent.NewClient("vm1", strings.TrimPrefix(s1.URL, "http://"), nil)}
	h2 := &Host{Name: "vm2", PrivateAddr: "10.10.0.2", AgentPort: 7070, Agent: agent.NewClient("vm2", strings.TrimPrefix(s2.URL, "http://"), nil)}
	return h1, h2
}

func testContainer() agent.Container {
	return agent.Container{ID: testID, Name: "c", PID: 99, Running: true}
}

// closeAgent makes h's agent unreachable (nothing listens at its address).
func closeAgent(t *testing.T, h *Host) {
	t.Helper()
	h.Agent = agent.NewClient(h.Name, "127.0.0.1:1", nil)
}

func newTestEnv(t *testing.T, src, dst *fakeAgent) *Env {
	h1, h2 := fakeHosts(t, src, dst)
	e, err := NewEnv(context.Background(), h1, h2, testContainer(),
		EnvOptions{Memory: 64 << 20, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPreCopyOverEnv(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{300, 40, 2}, pages: 16384, dirtyDelay: 20 * time.Millisecond}, &fakeAgent{}
	e := newTestEnv(t, src, dst)
	if d, _ := e.Dirty(context.Background()); d != 64<<20 {
		t.Errorf("Dirty before the first round = %d, want the memory size", d)
	}
	tech := models.PreCopyTechnique{Stop: models.StopRules{Threshold: 16 << 10, MaxRounds: 10}, Memory: 64 << 20}
	res, err := tech.Migrate(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if res.LiveRounds() != 3 || res.StopReason != models.StopThreshold {
		t.Fatalf("live rounds %d, stop %q", res.LiveRounds(), res.StopReason)
	}
	r0 := res.Rounds[0]
	if r0.Kind != models.RoundFull || r0.Pages != 16384 || r0.Bytes != 16384*4096+2048 || r0.DumpTime != time.Millisecond ||
		r0.TransferTime != 2*time.Millisecond || r0.End < r0.Start {
		t.Errorf("round 0 = %+v", r0)
	}
	if res.Rounds[1].Kind != models.RoundDelta || res.Rounds[1].Pages != 4096 {
		t.Errorf("round 1 = %+v", res.Rounds[1])
	}
	fin := res.Rounds[3]
	if !fin.Frozen || fin.Kind != models.RoundFinal || fin.Pages != 10 || fin.Bytes != 51200 {
		t.Errorf("final = %+v", fin)
	}
	if res.Resume.Pages != 16400 || res.Downtime() <= 0 {
		t.Errorf("resume %+v, downtime %v", res.Resume, res.Downtime())
	}
	if p, ok := e.Predicted(0); !ok || p != 300*4096 {
		t.Errorf("Predicted(0) = %d, %v", p, ok)
	}
	x := e.Extra()
	for k, want := range map[string]float64{"round1_pages_written": 16384, "final_pages_written": 10, "restore_pages_restored": 16400, "final_archive_bytes": 50000} {
		if x[k] != want {
			t.Errorf("extra %s = %v, want %v", k, x[k], want)
		}
	}
	if x["throughput_bytes_per_s"] <= 0 {
		t.Errorf("no throughput: %v", x)
	}
	// One dirty-memory measurement after each of the three live rounds,
	// each taking the agent's 20 ms; the poll interval is the Env's.
	if x["dirty_scans"] != 3 || x["dirty_scan_median_s"] < 0.02 || x["dirty_scan_median_s"] > 1 || x["dirty_poll_interval_s"] != 0.001 {
		t.Errorf("dirty scans %v, median %v s, poll interval %v s; want 3, >= 0.02 s, 0.001 s",
			x["dirty_scans"], x["dirty_scan_median_s"], x["dirty_poll_interval_s"])
	}
	// Rounds are chained 1, 2, 3 and the final dump names the last one.
	log := src.log()
	for _, want := range []string{`POST /v1/containers/` + testID + `/rounds`, `/dirty?pid=99`, `/checkpoint`} {
		if !strings.Contains(log, want) {
			t.Errorf("source calls lack %q:\n%s", want, log)
		}
	}
	if err := e.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src.log(), "DELETE /v1/containers/"+testID) || !strings.Contains(dst.log(), "DELETE /v1/incoming/"+testID+"?remove=false") {
		t.Errorf("Finish: source %s\ntarget %s", src.log(), dst.log())
	}
}

func TestWaitDirty(t *testing.T) {
	e := newTestEnv(t, &fakeAgent{dirty: []uint64{1, 2, 3, 200}, pages: 100}, &fakeAgent{})
	ctx := context.Background()
	e.Round(ctx)
	w, err := e.WaitDirty(ctx, 100*4096, 0, time.Hour)
	if err != nil || w.Deadline || w.Dirty != 200*4096 {
		t.Errorf("WaitDirty = %+v, %v; want 200 pages", w, err)
	}
	w, err = e.WaitDirty(ctx, 1<<40, 0, e.Now()+20*time.Millisecond)
	if err != nil || !w.Deadline {
		t.Errorf("WaitDirty to a deadline = %+v, %v", w, err)
	}
	start := e.Now()
	w, _ = e.WaitDirty(ctx, 1, start+30*time.Millisecond, time.Hour)
	if e.Now()-start < 30*time.Millisecond || w.Deadline {
		t.Errorf("WaitDirty returned before notBefore: %+v after %v", w, e.Now()-start)
	}
}

func TestAbortRollsBack(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100, fail: "/checkpoint"}, &fakeAgent{}
	e := newTestEnv(t, src, dst)
	_, err := models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}.Migrate(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Migrate error = %v", err)
	}
	if err := e.Finish(context.Background()); err == nil {
		t.Error("Finish after a failed migration succeeded")
	}
	if err := e.Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dst.log(), "DELETE /v1/incoming/"+testID+"?remove=true") || !strings.Contains(src.log(), "/rollback") {
		t.Errorf("Abort: target %s\nsource %s", dst.log(), src.log())
	}
	if strings.Contains(src.log(), "DELETE /v1/containers/") {
		t.Error("Abort removed the source copy")
	}
}

func TestPagesCrossCheck(t *testing.T) {
	src := &fakeAgent{dirty: []uint64{1}, pages: 100}
	h1, h2 := fakeHosts(t, src, &fakeAgent{})
	e, _ := NewEnv(context.Background(), h1, h2, agent.Container{ID: testID}, EnvOptions{})
	e.pageBytes = 8192 // the images would hold half of what CRIU claims
	if _, err := e.Round(context.Background()); err == nil || !strings.Contains(err.Error(), "pages written") {
		t.Errorf("Round with inconsistent CRIU stats: %v", err)
	}
}

func TestPostCopyUnsupported(t *testing.T) {
	e := newTestEnv(t, &fakeAgent{dirty: []uint64{1}}, &fakeAgent{})
	_, err := models.PostCopyTechnique{}.Migrate(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), models.ErrUnsupported.Error()) {
		t.Errorf("post-copy: %v", err)
	}
}

func TestWorkloadArgs(t *testing.T) {
	s, err := models.ParseScenario(strings.NewReader(`name: x
memory: {size: 64MiB}
workload: {dirty_rate: 1MiB/s, wws: 8MiB, hot_fraction: 0.25, hot_share: 0.9, rate_trace: {points: [{at: 0s, factor: 1}, {at: 30s, factor: 2}]}}
network: {bandwidth: 1Gbit/s}
`))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(WorkloadArgs(s, 7, 7000), " ")
	want := "--mem 67108864 --rate 1048576 --seed 7 --port 7000 --wws 8388608 --hot-fraction 0.25 --hot-share 0.9 --rate-trace 0s=1,30s=2"
	if got != want {
		t.Errorf("WorkloadArgs =\n%s\nwant\n%s", got, want)
	}
	if n := containerName("Edge 1G / test!", "precopy", 2, 0); n != "migrlab-edge-1g-test-precopy-r2-c1" {
		t.Errorf("containerName = %q", n)
	}
}

func TestParallelRunsConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	wg.Add(2)
	fn := func(ctx context.Context) error { wg.Done(); wg.Wait(); return nil }
	done := make(chan []error)
	go func() { done <- Parallel{}.Run(context.Background(), []func(context.Context) error{fn, fn}) }()
	select {
	case errs := <-done:
		if len(errs) != 2 || errs[0] != nil || errs[1] != nil {
			t.Errorf("errs = %v", errs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Parallel.Run did not run its functions concurrently")
	}
}
