//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
)

// faultCells returns the fault x phase cells to run: MIGRLAB_E2E_FAULTS=all
// runs the whole matrix (real.Matrix, 30 cells; the former 19 took about 40 minutes on the local TCG
// testbed), MIGRLAB_E2E_FAULTS=FAULT@PHASE,... the cells named; by default a
// set that covers every fault and every phase at least once, within CI's
// time.
func faultCells(t *testing.T) []real.Fault {
	env := os.Getenv("MIGRLAB_E2E_FAULTS")
	if env == "all" {
		return real.Matrix()
	}
	cells := []string{
		"checkpoint-fail@round", "checkpoint-fail@final-dump", "workload-kill@final-dump", "restore-fail@restore",
		"agent-kill@restore", "source-agent-kill@final-transfer", "link-cut@final-transfer",
		"disk-full@round", "sigint@final-dump", "kill@restore",
		"target-unreachable@restore", "agent-kill-unpacking@restore",
	}
	if env != "" {
		cells = strings.Split(env, ",")
	}
	var out []real.Fault
	for _, s := range cells {
		f, err := real.ParseFault(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// faultScenario is the small workload of the fault suite: 8 MiB, pre-copy
// with one live round, so that every phase is short but present.
func faultScenario(t *testing.T, name string) models.Scenario {
	return scenarioMem(t, name, "8MiB", "precopy: {stop: {threshold: 4KiB, max_rounds: 1}}\n")
}

// faultRow is one line of the fault x phase x outcome table.
type faultRow struct {
	Fault    real.Fault
	Injected bool
	Outcome  string
	Verified bool
	Cleaned  bool
	Retry    string
	Rollback float64
	Error    string
	Took     time.Duration
}

var faultTable struct {
	sync.Mutex
	rows []faultRow
}

// TestFaultMatrix injects each fault into each phase of a real pre-copy
// migration and asserts what must hold afterwards: the fault happened,
// exactly one copy runs with its counter continued, the same nonce and
// intact memory, no checkpoint data is left on either host, the record
// states the failure and its cause, and a retry of the same migration
// succeeds. The table goes to $MIGRLAB_E2E_OUT/faults.md when set (see
// docs/faults.md).
func TestFaultMatrix(t *testing.T) {
	tb := requireAgents(t)
	defer writeFaultTable(t)
	for _, f := range faultCells(t) {
		t.Run(strings.ReplaceAll(f.String(), "@", "_at_"), func(t *testing.T) {
			start := time.Now()
			var row faultRow
			if f.Kind == real.FaultKill {
				row = killCase(t, tb, f, false)
			} else {
				row = faultCase(t, tb, f)
			}
			row.Fault, row.Took = f, time.Since(start)
			faultTable.Lock()
			faultTable.rows = append(faultTable.rows, row)
			faultTable.Unlock()
		})
	}
}

func faultCase(t *testing.T, tb *real.Testbed, f real.Fault) faultRow {
	ctx, cancel := context.WithTimeout(testCtx, 15*time.Minute)
	defer cancel()
	s := faultScenario(t, "e2e-fault")
	out, err := real.Run(ctx, tb, s, models.PreCopy, 0, real.Options{Inject: &f, Retries: 1, Keep: true,
		StepTimeout: 4 * time.Minute, Warmup: 2 * time.Second, Progress: logWriter{t},
		Provenance: models.Provenance{Tool: "migrlab", Version: "e2e"}})
	if out == nil || out.Record.Fault == nil {
		t.Fatalf("%s: no fault report (err %v)", f, err)
	}
	fr := out.Record.Fault
	row := faultRow{Injected: fr.Injected, Outcome: fr.Outcome, Verified: fr.Verified, Cleaned: fr.Cleaned,
		Rollback: fr.RollbackS, Error: fr.Error}
	t.Logf("fault report: %+v", *fr)
	if !fr.Injected {
		t.Errorf("%s was not injected", f)
	}
	if !fr.Verified || !fr.Cleaned {
		t.Errorf("after %s: verified %v, cleaned %v: %s", f, fr.Verified, fr.Cleaned, fr.Check)
	}
	if want := wantOutcome[f]; want != "" && fr.Outcome != want {
		t.Errorf("%s: outcome %q, want %q", f, fr.Outcome, want)
	}
	switch {
	case fr.Outcome == "completed":
		// A fault the migration survives (a link cut while restoring from
		// data already received) must leave a complete, checked migration.
		row.Retry = "not needed"
		if err != nil {
			t.Errorf("%s: completed but Run failed: %v", f, err)
		}
	case fr.Outcome != "rolled back" && fr.Outcome != "restarted, state lost":
		t.Errorf("%s: outcome %q, want rolled back (or completed, or restarted with its state lost)", f, fr.Outcome)
	case fr.Outcome == "restarted, state lost" && (!fr.StateLost || !strings.Contains(fr.Error, "state LOST") || !mayLoseState(f)):
		t.Errorf("%s: restarted from its image: state lost %v, error %q; only a fault that can kill the workload may lose its state", f, fr.StateLost, fr.Error)
	case fr.Error == "" || !strings.Contains(fr.Error, "run the migration again"):
		t.Errorf("%s: the record's error does not say what happened and what to do: %q", f, fr.Error)
	case f.Kind == real.FaultSigint:
		row.Retry = "not retried (interrupted)"
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Run's error %v does not wrap context.Canceled", f, err)
		}
	default:
		row.Retry = "succeeded"
		if !fr.Retried || fr.RetryError != "" || err != nil {
			row.Retry = "FAILED"
			t.Errorf("%s: retry: retried %v, error %q, Run: %v", f, fr.Retried, fr.RetryError, err)
		}
		if err == nil {
			mb := out.Members[0]
			if !mb.Probe.NonceUnchanged || !mb.Probe.CounterContinued || mb.Verify.Verify == nil || !mb.Verify.Verify.Match {
				t.Errorf("%s: the retried migration's checks: %+v, verify %+v", f, mb.Probe, mb.Verify.Verify)
			}
		}
	}
	exactlyOne(t, ctx, out)
	if fr.Verified {
		noMigrationLeft(t, ctx, tb, out)
	}
	removeAll(t, out)
	return row
}

// mayLoseState reports whether fault f can kill the workload's process, so
// that the rollback can only start it again from its image: killing the
// workload, or CRIU while its parasite runs inside the task.
func mayLoseState(f real.Fault) bool {
	return f.Kind == real.FaultWorkloadKill || f.Kind == real.FaultCheckpointFail
}

// wantOutcome is the outcome a cell must have where only one is right.
var wantOutcome = map[real.Fault]string{
	// Its process is gone and no checkpoint completed: started again.
	{Kind: real.FaultWorkloadKill, Phase: real.PhaseRound}:     "restarted, state lost",
	{Kind: real.FaultWorkloadKill, Phase: real.PhaseFinalDump}: "restarted, state lost",
	// The restore request fails at the cut (or cannot be sent); the
	// target may go on restoring. The rollback waits (AgentRestartWait,
	// 90 s) until the target answers again (after real.TargetCutFor,
	// 30 s), has it remove any copy, and only then resumes the source.
	{Kind: real.FaultTargetUnreachable, Phase: real.PhaseFinalTransfer}: "rolled back",
	{Kind: real.FaultTargetUnreachable, Phase: real.PhaseRestore}:       "rolled back",
	// The restore request dies with the agent; podman may finish the
	// restore without it. The restarted agent removes that copy when the
	// rollback asks, before the source resumes.
	{Kind: real.FaultAgentKillUnpacking, Phase: real.PhaseRestore}: "rolled back",
}

// noMigrationLeft asserts that a migration that ended consistently left
// nothing to recover: no journal entry in the testbed's state directory,
// no record of its containers on any agent.
func noMigrationLeft(t *testing.T, ctx context.Context, tb *real.Testbed, out *real.Outcome) {
	t.Helper()
	ids := map[string]bool{}
	ents, _ := os.ReadDir(filepath.Join(tb.Dir, "migrations"))
	for _, mb := range out.Members {
		ids[mb.ID] = true
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), "-"+mb.ID[:12]+".json") {
				t.Errorf("the journal entry of %s's migration is left: %s", mb.Name, e.Name())
			}
		}
	}
	for _, h := range tb.Hosts {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		recs, err := h.Agent.Migrations(rctx)
		cancel()
		if err != nil {
			t.Errorf("%s: migration records: %v", h.Name, err)
		}
		for _, r := range recs {
			if ids[r.ID] {
				t.Errorf("%s: the record of %s's migration is left: %s, %s", h.Name, r.Name, r.Role, r.Phase)
			}
		}
	}
}

// exactlyOne asserts that each member runs on exactly one host.
func exactlyOne(t *testing.T, ctx context.Context, out *real.Outcome) {
	t.Helper()
	for _, mb := range out.Members {
		ictx, icancel := context.WithTimeout(ctx, 3*time.Minute)
		s, onSrc, serr := out.Source.Agent.Inspect(ictx, mb.ID)
		d, onDst, derr := out.Target.Agent.Inspect(ictx, mb.ID)
		icancel()
		if serr != nil || derr != nil {
			t.Errorf("%s: inspect: %v %v", mb.Name, serr, derr)
			continue
		}
		if n := b2i(onSrc && s.Running) + b2i(onDst && d.Running); n != 1 || onSrc && onDst {
			t.Errorf("%s: running on source %v, on target %v: want exactly one copy", mb.Name, onSrc && s.Running, onDst && d.Running)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRecoverWithoutTheJournal kills the orchestrator mid-restore and then
// loses its journal (the operator's machine is gone): `migrlab recover`
// must find the migration in the agents' records and leave exactly one
// verified copy, and nothing to recover afterwards.
func TestRecoverWithoutTheJournal(t *testing.T) {
	tb := requireAgents(t)
	killCase(t, tb, real.Fault{Kind: real.FaultKill, Phase: real.PhaseRestore}, true)
}

// killCase kills the orchestrator (`migrlab run --inject kill@PHASE`, a
// real SIGKILL), then `migrlab recover` must leave exactly one verified copy,
// and `migrlab run` of the same migration must succeed. With lostJournal the
// journal is removed before the recovery: it must work from the agents'
// records alone.
func killCase(t *testing.T, tb *real.Testbed, f real.Fault, lostJournal bool) faultRow {
	ctx, cancel := context.WithTimeout(testCtx, 15*time.Minute)
	defer cancel()
	bin := migrlabBinary(t)
	dir := t.TempDir()
	scen := filepath.Join(dir, "kill.yaml")
	if err := os.WriteFile(scen, []byte(`name: e2e-kill
memory: {size: 8MiB}
workload: {dirty_rate: 256KiB/s, wws: 4MiB}
techniques: [precopy]
precopy: {stop: {threshold: 4KiB, max_rounds: 1}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	migr := func(extra ...string) (string, error) {
		args := append([]string{"run", "--testbed", testbedName, "--state-dir", testbedSpec.StateDir,
			"--warmup", "2s", "--step-timeout", "4m", "--keep", "-o", filepath.Join(dir, "records.jsonl")}, extra...)
		cmd := exec.CommandContext(ctx, bin, append(args, "-s", scen)...)
		b, err := cmd.CombinedOutput()
		t.Logf("migrlab %s:\n%s", strings.Join(args, " "), b)
		return string(b), err
	}
	row := faultRow{Outcome: "recovered"}
	defer cleanupByName(t, tb, "migrlab-e2e-kill-precopy-r0-c1")
	out, err := migr("--inject", f.String())
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 || !strings.Contains(out, "fault: injecting") {
		t.Fatalf("migrlab run --inject %s: want the process killed by SIGKILL, got %v", f, err)
	}
	row.Injected = true
	journal := filepath.Join(testbedSpec.StateDir, "testbeds", testbedName, "migrations")
	if lostJournal {
		if ents, _ := os.ReadDir(journal); len(ents) != 1 {
			t.Fatalf("the killed run left %d journal entries, want 1", len(ents))
		}
		if err := os.RemoveAll(journal); err != nil {
			t.Fatal(err)
		}
	}
	rec := exec.CommandContext(ctx, bin, "recover", "--testbed", testbedName, "--state-dir", testbedSpec.StateDir)
	b, err := rec.CombinedOutput()
	t.Logf("migrlab recover:\n%s", b)
	if err != nil || !strings.Contains(string(b), "memory verified true") {
		t.Fatalf("migrlab recover: %v", err)
	}
	if lostJournal && !strings.Contains(string(b), "the journal has no entry for the migration of migrlab-e2e-kill-precopy-r0-c1") {
		t.Errorf("migrlab recover did not say it recovered from the agents' records")
	}
	row.Verified = true
	row.Error = "orchestrator killed (SIGKILL); " + firstLine(string(b), "recovered ")
	// Exactly one copy, and no checkpoint data left.
	n := 0
	for _, h := range tb.Hosts {
		c, ok, err := h.Agent.Inspect(ctx, "migrlab-e2e-kill-precopy-r0-c1")
		if err != nil {
			t.Fatal(err)
		}
		if ok && c.Running {
			n++
		}
		left, err := h.Exec(ctx, "find /var/lib/migrlab/agent/in /var/lib/migrlab/agent/out -mindepth 1 2>/dev/null; true")
		if err != nil || strings.TrimSpace(left) != "" {
			t.Errorf("%s: checkpoint data left after recover: %q %v", h.Name, left, err)
		}
	}
	if n != 1 {
		t.Errorf("after recover: %d running copies, want 1", n)
	}
	row.Cleaned = true
	ents, _ := os.ReadDir(journal)
	if len(ents) != 0 {
		t.Errorf("journal not emptied by recover: %d entries", len(ents))
	}
	for _, h := range tb.Hosts {
		recs, err := h.Agent.Migrations(ctx)
		if err != nil {
			t.Errorf("%s: migration records: %v", h.Name, err)
		}
		for _, r := range recs {
			if r.Name == "migrlab-e2e-kill-precopy-r0-c1" {
				t.Errorf("%s: a record of the recovered migration is left: %s, %s", h.Name, r.Role, r.Phase)
			}
		}
	}
	// The same migration again (after removing the recovered copy).
	cleanupByName(t, tb, "migrlab-e2e-kill-precopy-r0-c1")
	if out, err := migr(); err != nil {
		row.Retry = "FAILED"
		t.Errorf("retry after recover: %v\n%s", err, out)
	} else {
		row.Retry = "succeeded"
	}
	return row
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func cleanupByName(t *testing.T, tb *real.Testbed, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, h := range tb.Hosts {
		if err := h.Agent.Remove(ctx, name); err != nil {
			t.Errorf("cleanup: %s on %s: %v", name, h.Name, err)
		}
	}
}

// cliBinary is the static migrlab that installAgents builds and installs as
// the agent; the tests that run the CLI run it too.
func cliBinary() string { return filepath.Join(testbedSpec.StateDir, "cli", "migrlab") }

// migrlabBinary returns cliBinary, built by requireAgents.
func migrlabBinary(t *testing.T) string {
	requireAgents(t)
	if _, err := os.Stat(cliBinary()); err != nil {
		t.Fatalf("the migrlab binary installAgents built: %v", err)
	}
	return cliBinary()
}

// writeFaultTable writes the suite's table to $MIGRLAB_E2E_OUT/faults.md.
func writeFaultTable(t *testing.T) {
	dir := os.Getenv("MIGRLAB_E2E_OUT")
	faultTable.Lock()
	defer faultTable.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "| fault | phase | injected | outcome | one copy, counter continued, memory verified | checkpoint data removed | retry | rollback (s) | took (s) | what the record says |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | ---: | ---: | --- |\n")
	for _, r := range faultTable.rows {
		msg := strings.ReplaceAll(r.Error, "|", "/")
		if len(msg) > 160 {
			msg = msg[:160] + "..."
		}
		fmt.Fprintf(&b, "| %s | %s | %v | %s | %v | %v | %s | %.1f | %.0f | %s |\n", r.Fault.Kind, r.Fault.Phase,
			yes(r.Injected), r.Outcome, yes(r.Verified), yes(r.Cleaned), r.Retry, r.Rollback, r.Took.Seconds(), msg)
	}
	t.Logf("fault x phase x outcome:\n%s", b.String())
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		os.WriteFile(filepath.Join(dir, "faults.md"), []byte(b.String()), 0o644)
	}
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}
