package real

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// failAtRestore migrates with pre-copy on e up to a restore on the target
// that fails: the target was asked to restore, so a copy may run there.
func failAtRestore(t *testing.T, e *Env) {
	t.Helper()
	_, err := models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}.Migrate(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("Migrate error = %v, want the injected restore failure", err)
	}
}

// TestAbortKeepsTheSourceUnlessTheTargetConfirms: after a restore was asked
// for, the source runs again only when the target removed its copy and
// reports none; a failed removal, a copy still there or a target that does
// not answer leave the source checkpointed (no rollback), with
// ErrTargetUnconfirmed.
func TestAbortKeepsTheSourceUnlessTheTargetConfirms(t *testing.T) {
	defer func(w time.Duration) { AgentRestartWait = w }(AgentRestartWait)
	AgentRestartWait = 50 * time.Millisecond
	for _, c := range []struct {
		name       string
		dst        *fakeAgent
		down       bool // the target's agent stops answering after the restore
		rollback   bool
		unconfirmd bool
	}{
		{"target removed its copy", &fakeAgent{fail: "/restore", present: true}, false, true, false},
		{"no copy was made", &fakeAgent{fail: "/restore"}, false, true, false},
		{"removing the copy failed", &fakeAgent{fail: "/restore", present: true, forgetFails: true}, false, false, true},
		{"the copy is still there", &fakeAgent{fail: "/restore", present: true, forgetKeeps: true}, false, false, true},
		{"the target does not answer", &fakeAgent{fail: "/restore", present: true}, true, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &fakeAgent{dirty: []uint64{5}, pages: 100}
			h1, h2 := fakeHosts(t, src, c.dst)
			e, err := NewEnv(context.Background(), h1, h2, testContainer(), EnvOptions{Memory: 64 << 20, PollInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			failAtRestore(t, e)
			if c.down {
				closeAgent(t, h2)
			}
			err = e.Abort(context.Background())
			rolled := strings.Contains(src.log(), "/rollback")
			if rolled != c.rollback || errors.Is(err, ErrTargetUnconfirmed) != c.unconfirmd {
				t.Errorf("Abort: rolled back %v (want %v), error %v (unconfirmed: want %v)\ntarget: %s", rolled, c.rollback, err, c.unconfirmd, c.dst.log())
			}
			if strings.Contains(src.log(), "DELETE /v1/containers/") {
				t.Error("Abort removed the source copy")
			}
			if c.unconfirmd && !strings.Contains(err.Error(), "stays checkpointed") {
				t.Errorf("error %q: want it to say the source copy stays checkpointed", err)
			}
		})
	}
}

// TestAbortBeforeRestoreRollsBackDespiteTargetErrors: before any restore was
// asked for, no copy can run on the target, so a failed cleaning there does
// not keep the source from running again (it is reported).
func TestAbortBeforeRestoreRollsBackDespiteTargetErrors(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100, fail: "/checkpoint"}, &fakeAgent{forgetFails: true}
	e := newTestEnv(t, src, dst)
	if _, err := (models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e); err == nil {
		t.Fatal("Migrate succeeded despite the injected checkpoint failure")
	}
	err := e.Abort(context.Background())
	if !strings.Contains(src.log(), "/rollback") || err == nil || errors.Is(err, ErrTargetUnconfirmed) || !strings.Contains(err.Error(), "cleaning the target") {
		t.Errorf("Abort: error %v, source %s", err, src.log())
	}
}

// TestAbortReportsARestartWithItsStateLost: a source agent that could only
// start the container again from its image (its process died with the
// failed checkpoint) makes a completed rollback whose error says the state
// was lost and why, and the Env says so.
func TestAbortReportsARestartWithItsStateLost(t *testing.T) {
	const cause = "its process ended with the failed checkpoint"
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100, fail: "/checkpoint", lostState: cause}, &fakeAgent{}
	e := newTestEnv(t, src, dst)
	_, merr := (models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e)
	if merr == nil {
		t.Fatal("Migrate succeeded despite the injected checkpoint failure")
	}
	r := &runner{src: e.src, envs: []*Env{e}}
	err := r.rollBack(context.Background(), merr, r.envs)
	if r.abortErr != nil || e.StateLost() != cause {
		t.Fatalf("rollback error %v, state lost %q; want a completed rollback that lost the state", r.abortErr, e.StateLost())
	}
	if msg := err.Error(); !strings.Contains(msg, "injected failure") || !strings.Contains(msg, "state LOST") || !strings.Contains(msg, cause) {
		t.Errorf("the run's error %q: want the cause, that the state was lost, and why", msg)
	}
	// A rollback that restored the checkpoint says nothing of the kind.
	src2 := &fakeAgent{dirty: []uint64{5}, pages: 100, fail: "/checkpoint"}
	e2 := newTestEnv(t, src2, &fakeAgent{})
	(models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e2)
	r2 := &runner{src: e2.src, envs: []*Env{e2}}
	if err := r2.rollBack(context.Background(), merr, r2.envs); strings.Contains(err.Error(), "LOST") || r2.stateLost() != "" {
		t.Errorf("a restored rollback reports a lost state: %v", err)
	}
}

// TestRejectedCopyIsRemovedAndTheSourceResumes: a copy that resumed on the
// target but is rejected (its verification failed) is removed there and the
// source runs again from its kept checkpoint; the source copy is never
// removed.
func TestRejectedCopyIsRemovedAndTheSourceResumes(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
	e := newTestEnv(t, src, dst)
	if _, err := (models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e); err != nil || !e.Resumed() {
		t.Fatalf("Migrate: %v, resumed %v", err, e.Resumed())
	}
	e.Reject()
	if err := e.Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if dst.present || !strings.Contains(dst.log(), "?remove=true") || !strings.Contains(src.log(), "/rollback") || strings.Contains(src.log(), "DELETE /v1/containers/") {
		t.Errorf("target copy present %v\ntarget: %s\nsource: %s", dst.present, dst.log(), src.log())
	}
}

// TestMigrateVerifiesBeforeRemovingTheSource: the source copy is removed only
// after the copy on the target answered with intact memory; a copy whose
// memory does not verify is removed from the target and the container runs
// on the source again.
func TestMigrateVerifiesBeforeRemovingTheSource(t *testing.T) {
	for _, mismatch := range []bool{false, true} {
		src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100, verifyMismatch: mismatch}, &fakeAgent{}
		h1, h2 := fakeHosts(t, src, dst)
		e, err := NewEnv(context.Background(), h1, h2, testContainer(), EnvOptions{Memory: 64 << 20, PollInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r := &runner{opt: Options{StepTimeout: time.Minute}, src: h1, dst: h2, envs: []*Env{e},
			out: &Outcome{Members: []Member{{Name: "c", ID: testID, SourceAddr: "10.10.0.1:9000", TargetAddr: "10.10.0.2:9000"}}}}
		err = r.migrate(context.Background(), models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}, nil)
		log := src.log()
		verified := strings.Index(log, "/v1/verify")
		removed := strings.Index(log, "DELETE /v1/containers/"+testID)
		switch {
		case !mismatch && (err != nil || verified < 0 || removed < verified):
			t.Errorf("verified copy: error %v; the source copy must be removed after the verification\n%s", err, log)
		case mismatch && (err == nil || removed >= 0 || !strings.Contains(log, "/rollback") || dst.present):
			t.Errorf("corrupted copy: error %v, target copy present %v; want it removed and the source rolled back, never removed\n%s", err, dst.present, log)
		}
	}
}

// TestAbortWaitsForARestartingSourceAgent: a source agent that does not
// answer at first (killed; systemd restarts it) is waited for, and the
// rollback goes through once it answers.
func TestAbortWaitsForARestartingSourceAgent(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100, fail: "/checkpoint", dropRollbacks: 1}, &fakeAgent{}
	e := newTestEnv(t, src, dst)
	if _, err := (models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e); err == nil {
		t.Fatal("Migrate succeeded despite the injected failure")
	}
	if err := e.Abort(context.Background()); err != nil || strings.Count(src.log(), "/rollback") != 2 {
		t.Errorf("Abort: %v; want a second rollback after the dropped one; source: %s", err, src.log())
	}
}

// TestAnnounceTellsTheTargetWhatToExpect: the target is told the image, the
// security profile of the container as the source runs it now, the source's
// certificate name and the upload caps, so it can refuse anything else.
func TestAnnounceTellsTheTargetWhatToExpect(t *testing.T) {
	src, dst := &fakeAgent{}, &fakeAgent{}
	newTestEnv(t, src, dst)
	a := dst.announced
	round, archive := agent.UploadCaps(64 << 20)
	if a.ID != testID || a.Name != "c" || a.ImageID != "sha256:0123" || a.Profile == nil || a.Profile.SpecDigest != "abcd" ||
		a.Source != "vm1" || len(a.Token) < 32 || a.MaxRoundBytes != round || a.MaxArchiveBytes != archive {
		t.Errorf("announce %+v", a)
	}
	if !strings.Contains(src.log(), "GET /v1/containers/"+testID) {
		t.Errorf("the source was not inspected before the announce: %s", src.log())
	}
}

// TestTargetUnreachableDuringTheRestore: the orchestrator is cut off from
// the target (target-unreachable) while the target restores; the restore
// goes on there and makes a copy. The rollback must wait until the target
// answers again and removed that copy before the source resumes: one
// copy. Cut off for longer than AgentRestartWait, the source stays
// checkpointed (ErrTargetUnconfirmed) and nothing is resumed.
func TestTargetUnreachableDuringTheRestore(t *testing.T) {
	defer func(w time.Duration) { AgentRestartWait = w }(AgentRestartWait)
	for _, c := range []struct {
		name     string
		cut      time.Duration
		rollback bool
	}{
		{"back within the wait", 300 * time.Millisecond, true},
		{"back after the wait", time.Minute, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			AgentRestartWait = 3 * time.Second
			if !c.rollback {
				AgentRestartWait = 100 * time.Millisecond
			}
			src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{restoreDelay: 150 * time.Millisecond}
			e := newTestEnv(t, src, dst)
			in := &injector{f: Fault{FaultTargetUnreachable, PhaseRestore}, src: e.Source(), dst: e.Target(), logf: t.Logf}
			defer in.healTarget()
			go func() {
				time.Sleep(50 * time.Millisecond) // the restore request is in flight
				in.cutTarget(c.cut)
			}()
			_, err := models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}.Migrate(context.Background(), e)
			if err == nil || e.Resumed() {
				t.Fatalf("Migrate: %v, resumed %v; want the restore to fail at the cut", err, e.Resumed())
			}
			time.Sleep(200 * time.Millisecond) // the target's restore completes: a copy runs there
			dst.set(func() {
				if !dst.present {
					t.Error("the fake target did not finish its restore")
				}
			})
			cutAt := time.Now()
			err = e.Abort(context.Background())
			rolled := strings.Contains(src.log(), "/rollback")
			if rolled != c.rollback || errors.Is(err, ErrTargetUnconfirmed) == c.rollback {
				t.Fatalf("Abort: %v, rolled back %v; want rollback %v\ntarget: %s", err, rolled, c.rollback, dst.log())
			}
			if !c.rollback {
				return
			}
			if err != nil || time.Since(cutAt) < 100*time.Millisecond || dst.nrecords() != 0 {
				t.Errorf("Abort: %v after %v; want it to wait for the cut to heal", err, time.Since(cutAt))
			}
			dst.set(func() {
				if dst.present {
					t.Error("the target's copy is still there: two copies")
				}
			})
		})
	}
}
