package real

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// lostJournal starts a journaled pre-copy migration of testID on fake
// agents and runs upto (its steps), then loses the orchestrator's machine:
// the testbed's state directory, journal included, is gone, and what the
// agents recorded is the only account left.
func lostJournal(t *testing.T, src, dst *fakeAgent, upto func(e *Env)) *Testbed {
	t.Helper()
	src.hostPort = 7000
	h1, h2 := fakeHosts(t, src, dst)
	tb := &Testbed{Name: "t", Dir: t.TempDir(), Hosts: []*Host{h1, h2}}
	e, err := NewEnv(context.Background(), h1, h2, testContainer(), EnvOptions{Memory: 64 << 20, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{tb: tb, src: h1, dst: h2, envs: []*Env{e},
		out: &Outcome{Members: []Member{{Name: "c", ID: testID, SourceAddr: "10.10.0.1:7000", TargetAddr: "10.10.0.2:7000"}}}}
	r.journal()
	upto(e)
	if err := os.RemoveAll(tb.Dir); err != nil {
		t.Fatal(err)
	}
	return tb
}

// dead makes the records on f name a dead orchestrator process of this
// machine (the migration's orchestrator was this test; a real one is gone).
func dead(fs ...*fakeAgent) {
	for _, f := range fs {
		f.set(func() {
			for i := range f.records {
				f.records[i].Origin.PID = deadPID
			}
		})
	}
}

// TestRecoverFindsMigrationsThroughTheAgents: with the journal lost
// mid-migration, Recover finds the migration in the agents' records and
// recovers it by the journal's rules: a copy restored on the target is
// kept once its memory verifies (then the source copy goes); one that
// was only announced and sent rounds is rolled back to the source after
// the target confirmed it holds no copy. The records are gone afterwards.
func TestRecoverFindsMigrationsThroughTheAgents(t *testing.T) {
	t.Run("restored on the target: finished", func(t *testing.T) {
		src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
		tb := lostJournal(t, src, dst, func(e *Env) {
			if _, err := (models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e); err != nil {
				t.Fatal(err)
			}
		})
		src.set(func() { src.stopped = true }) // checkpointed: the final dump stops it
		dead(src, dst)
		out, err := Recover(context.Background(), tb, t.Logf)
		log := src.log()
		verified, removed := strings.Index(log, "/v1/verify?addr=10.10.0.2%3A7000"), strings.Index(log, "DELETE /v1/containers/"+testID)
		if err != nil || len(out) != 1 || out[0].Action != "finished" || out[0].Host != "vm2" || !out[0].Verified {
			t.Fatalf("Recover: %v %+v", err, out)
		}
		if verified < 0 || removed < verified || !strings.Contains(dst.log(), "DELETE /v1/incoming/"+testID+"?remove=false") {
			t.Errorf("the target's copy must be verified before the source's is removed\nsource: %s\ntarget: %s", log, dst.log())
		}
		if src.nrecords()+dst.nrecords() != 0 {
			t.Errorf("records left: %+v %+v", src.records, dst.records)
		}
	})
	t.Run("rounds sent, no copy on the target: rolled back", func(t *testing.T) {
		src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
		tb := lostJournal(t, src, dst, func(e *Env) {
			if _, err := e.Round(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
		dead(src, dst)
		out, err := Recover(context.Background(), tb, t.Logf)
		if err != nil || len(out) != 1 || out[0].Action != "rolled back" || out[0].Host != "vm1" || !out[0].Verified {
			t.Fatalf("Recover: %v %+v", err, out)
		}
		forgot, rolled := strings.Index(dst.log(), "?remove=true"), strings.Index(src.log(), "/rollback")
		if forgot < 0 || rolled < 0 || strings.Contains(src.log(), "DELETE /v1/containers/") {
			t.Errorf("want the target cleaned, then the source rolled back, never removed\nsource: %s\ntarget: %s", src.log(), dst.log())
		}
		if src.nrecords()+dst.nrecords() != 0 {
			t.Errorf("records left: %+v %+v", src.records, dst.records)
		}
	})
}

// TestRecoverLeavesWhatItCannotConfirm: a target that does not answer
// leaves the checkpointed source as it is (no rollback, the records kept)
// and the error says so; records of a live orchestrator, or of another
// machine's that was active lately, are left alone.
func TestRecoverLeavesWhatItCannotConfirm(t *testing.T) {
	defer func(w time.Duration) { AgentRestartWait = w }(AgentRestartWait)
	AgentRestartWait = 50 * time.Millisecond
	migrated := func(e *Env) {
		if _, err := (models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}).Migrate(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("target unreachable", func(t *testing.T) {
		src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
		tb := lostJournal(t, src, dst, migrated)
		src.set(func() { src.stopped = true })
		dead(src)
		closeAgent(t, tb.Hosts[1])
		out, err := Recover(context.Background(), tb, t.Logf)
		if err == nil || len(out) != 0 || !strings.Contains(err.Error(), "does not answer") {
			t.Fatalf("Recover: %v %+v; want an error saying the target does not answer", err, out)
		}
		if strings.Contains(src.log(), "/rollback") || strings.Contains(src.log(), "DELETE /v1/containers/") || src.nrecords() != 1 {
			t.Errorf("the source was touched or its record dropped: %s %+v", src.log(), src.records)
		}
	})
	for _, c := range []struct {
		name  string
		edit  func(o *agent.Origin, r *agent.Record)
		quiet bool // recovered
	}{
		{"a live orchestrator of this machine", func(o *agent.Origin, r *agent.Record) { o.PID = os.Getppid() }, false},
		{"another machine's, active", func(o *agent.Origin, r *agent.Record) { o.Orchestrator = "elsewhere" }, false},
		{"another machine's, quiet", func(o *agent.Origin, r *agent.Record) {
			o.Orchestrator, r.Updated = "elsewhere", time.Now().Add(-ForeignRecordQuiet-time.Minute)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
			tb := lostJournal(t, src, dst, migrated)
			src.set(func() { src.stopped = true })
			for _, f := range []*fakeAgent{src, dst} {
				f.set(func() {
					for i := range f.records {
						c.edit(&f.records[i].Origin, &f.records[i])
					}
				})
			}
			var said []string
			out, err := Recover(context.Background(), tb, func(f string, a ...any) { said = append(said, f) })
			touched := strings.Contains(src.log(), "DELETE") || strings.Contains(dst.log(), "DELETE")
			if c.quiet {
				if err != nil || len(out) != 1 || out[0].Action != "finished" {
					t.Errorf("Recover: %v %+v; want it finished", err, out)
				}
				return
			}
			if err != nil || len(out) != 0 || touched || !strings.Contains(strings.Join(said, "\n"), "left alone") {
				t.Errorf("Recover: %v %+v, touched %v, said %q; want it left alone", err, out, touched, said)
			}
			if pe := pendingInAgents(context.Background(), tb); c.name != "a live orchestrator of this machine" && pe == nil {
				t.Error("a run would start while another machine migrates on the testbed")
			}
		})
	}
}

// TestRunRefusesWhileTheAgentsHoldAPendingMigration: with the journal
// lost, the agents' records of a dead orchestrator's migration stop a new
// run before it touches any container (it would remove same-named
// leftovers: the copy to recover).
func TestRunRefusesWhileTheAgentsHoldAPendingMigration(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
	tb := lostJournal(t, src, dst, func(e *Env) { e.Round(context.Background()) })
	dead(src, dst)
	n1, n2 := len(src.log()), len(dst.log())
	s := models.Scenario{Name: "s", Memory: models.Memory{Size: 8 << 20}, Network: models.Network{Bandwidth: 1 << 20}, Techniques: []string{"cold"}}
	_, err := Run(context.Background(), tb, s, "cold", 0, Options{})
	if !errors.Is(err, ErrRecoveryPending) || !strings.Contains(err.Error(), "migrlab recover --testbed t") {
		t.Fatalf("Run: %v, want ErrRecoveryPending naming the recover command", err)
	}
	for _, l := range []string{src.log()[n1:], dst.log()[n2:]} {
		if strings.TrimSpace(strings.ReplaceAll(l, "GET /v1/migrations?", "")) != "" {
			t.Errorf("Run touched the hosts: %q", l)
		}
	}
}

// set changes f under its lock.
func (f *fakeAgent) set(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

func (f *fakeAgent) nrecords() (n int) {
	f.set(func() { n = len(f.records) })
	return n
}
