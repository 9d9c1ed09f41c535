package real

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/testbed"
)

// TestJournalRecordsEveryPhaseAtomically: the entry is written when the
// migration starts, rewritten at every phase (never leaving a temporary
// file) and removed when done.
func TestJournalRecordsEveryPhaseAtomically(t *testing.T) {
	h1, h2 := fakeHosts(t, &fakeAgent{}, &fakeAgent{})
	tb := &Testbed{Name: "t", Dir: t.TempDir(), Hosts: []*Host{h1, h2}}
	r := &runner{tb: tb, src: h1, dst: h2, out: &Outcome{Members: []Member{{Name: "c", ID: testID}}}}
	j := r.journal()
	phase := func() string {
		t.Helper()
		ents, _ := os.ReadDir(journalDir(tb))
		if len(ents) != 1 {
			t.Fatalf("journal directory holds %d files, want 1: %v", len(ents), ents)
		}
		b, err := os.ReadFile(filepath.Join(journalDir(tb), ents[0].Name()))
		if err != nil {
			t.Fatal(err)
		}
		var e journalEntry
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatal(err)
		}
		if e.Source != "vm1" || e.Target != "vm2" || len(e.Members) != 1 || e.Members[0].ID != testID {
			t.Errorf("entry %+v", e)
		}
		return e.Phase
	}
	for _, p := range []string{phaseVerifying, phaseFinishing} {
		if got := phase(); got == p {
			t.Fatalf("phase %q before it was set", got)
		}
		j.phase(p)
		if got := phase(); got != p {
			t.Errorf("phase %q, want %q", got, p)
		}
	}
	j.done()
	if ents, _ := os.ReadDir(journalDir(tb)); len(ents) != 0 {
		t.Errorf("after done: %v", ents)
	}
}

// deadPID is a process ID no process has (above Linux's pid_max).
const deadPID = 1 << 23

// orphanEntry writes a journal entry of a killed orchestrator for testID.
func orphanEntry(t *testing.T, tb *Testbed) {
	t.Helper()
	b, _ := json.Marshal(journalEntry{PID: deadPID, Source: "vm1", Target: "vm2", Phase: phaseVerifying,
		Members: []journalMember{{Name: "c", ID: testID, SourceAddr: "10.10.0.1:9000", TargetAddr: "10.10.0.2:9000"}}})
	if err := testbed.WriteFile(filepath.Join(journalDir(tb), "1-x.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRecoverVerifiesTheTargetBeforeRemovingTheSource: a copy running on
// the target is kept only if its memory verifies, and only then is the
// checkpointed source copy removed; otherwise it is removed and the source
// copy runs again.
func TestRecoverVerifiesTheTargetBeforeRemovingTheSource(t *testing.T) {
	for _, bad := range []bool{false, true} {
		src := &fakeAgent{present: true, stopped: true, verifyMismatch: bad}
		dst := &fakeAgent{present: true}
		h1, h2 := fakeHosts(t, src, dst)
		tb := &Testbed{Name: "t", Dir: t.TempDir(), Hosts: []*Host{h1, h2}}
		orphanEntry(t, tb)
		out, err := Recover(context.Background(), tb, nil)
		log := src.log()
		verified, removed := strings.Index(log, "/v1/verify"), strings.Index(log, "DELETE /v1/containers/"+testID)
		if !bad {
			if err != nil || len(out) != 1 || out[0].Action != "finished" || !out[0].Verified || verified < 0 || removed < verified || src.present {
				t.Errorf("good copy: %v %+v\n%s", err, out, log)
			}
			continue
		}
		// The fake's source verifies the rolled-back copy with the same
		// mismatch: the recovery reports it, but never removed the source.
		if removed >= 0 || !strings.Contains(log, "/rollback") || dst.present || !strings.Contains(dst.log(), "?remove=true") {
			t.Errorf("corrupted copy: %v %+v\nsource %s\ntarget %s", err, out, log, dst.log())
		}
	}
}

// TestRunRefusesWhileARecoveryIsPending: a journal entry of a killed
// orchestrator stops a new run before it touches any container (a run
// removes same-named leftovers, which could be the copy to recover).
func TestRunRefusesWhileARecoveryIsPending(t *testing.T) {
	src, dst := &fakeAgent{}, &fakeAgent{}
	h1, h2 := fakeHosts(t, src, dst)
	tb := &Testbed{Name: "t", Dir: t.TempDir(), Hosts: []*Host{h1, h2}}
	orphanEntry(t, tb)
	s := models.Scenario{Name: "s", Memory: models.Memory{Size: 8 << 20}, Network: models.Network{Bandwidth: 1 << 20}, Techniques: []string{"cold"}}
	_, err := Run(context.Background(), tb, s, "cold", 0, Options{})
	if !errors.Is(err, ErrRecoveryPending) || !strings.Contains(err.Error(), "migrlab recover --testbed t") {
		t.Fatalf("Run: %v, want ErrRecoveryPending naming the recover command", err)
	}
	if src.log() != "" || dst.log() != "" {
		t.Errorf("Run touched the hosts:\n%s\n%s", src.log(), dst.log())
	}
}

// TestRunRefusesAGrowingSyntheticWorkload: the synthetic workload cannot
// grow, so a scenario that says it does is refused before any host is
// touched, naming the fields and the fix.
func TestRunRefusesAGrowingSyntheticWorkload(t *testing.T) {
	src, dst := &fakeAgent{}, &fakeAgent{}
	h1, h2 := fakeHosts(t, src, dst)
	tb := &Testbed{Name: "t", Dir: t.TempDir(), Hosts: []*Host{h1, h2}}
	s := models.Scenario{Name: "s", Memory: models.Memory{Size: 8 << 20, Initial: 4 << 20}, Network: models.Network{Bandwidth: 1 << 20}, Techniques: []string{"cold"}}
	out, err := Run(context.Background(), tb, s, "cold", 0, Options{})
	if err == nil || !strings.Contains(err.Error(), "memory.initial") || !strings.Contains(err.Error(), "give the scenario an app") {
		t.Fatalf("Run: %v, want a refusal naming memory.initial and the fix", err)
	}
	if out.Record.Error == "" || src.log() != "" || dst.log() != "" {
		t.Errorf("record error %q; the hosts saw:\n%s\n%s", out.Record.Error, src.log(), dst.log())
	}
}
