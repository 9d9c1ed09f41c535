package real

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/real/agent"
)

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Fault
		wantErr string
	}{
		{in: "agent-kill@restore", want: Fault{FaultAgentKill, PhaseRestore}},
		{in: " link-cut@final-transfer ", want: Fault{FaultLinkCut, PhaseFinalTransfer}},
		{in: "checkpoint-fail@round", want: Fault{FaultCheckpointFail, PhaseRound}},
		{in: "sigint@final-dump", want: Fault{FaultSigint, PhaseFinalDump}},
		{in: "agent-kill", wantErr: "want FAULT@PHASE"},
		{in: "disk-full@round", want: Fault{FaultDiskFull, PhaseRound}},
		{in: "source-agent-kill@final-dump", want: Fault{FaultSourceAgentKill, PhaseFinalDump}},
		{in: "disk-full@restore", wantErr: "disk-full cannot happen during restore (disk-full only during round, final-transfer)"},
		{in: "fire@round", wantErr: `unknown fault "fire"; faults: agent-kill, source-agent-kill, link-cut, disk-full`},
		{in: "link-cut@boot", wantErr: `unknown phase "boot"; phases: round, final-dump, final-transfer, restore`},
		{in: "restore-fail@round", wantErr: "restore-fail cannot happen during round (restore-fail only during restore)"},
		{in: "checkpoint-fail@restore", wantErr: "only during round, final-dump"},
		{in: "target-unreachable@restore", want: Fault{FaultTargetUnreachable, PhaseRestore}},
		{in: "target-unreachable@final-transfer", want: Fault{FaultTargetUnreachable, PhaseFinalTransfer}},
		{in: "target-unreachable@round", wantErr: "target-unreachable only during final-transfer, restore"},
		{in: "agent-kill-unpacking@restore", want: Fault{FaultAgentKillUnpacking, PhaseRestore}},
		{in: "agent-kill-unpacking@final-transfer", wantErr: "agent-kill-unpacking only during restore"},
	} {
		got, err := ParseFault(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseFault(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseFault(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, err := ParseFault(got.String()); err != nil || back != got {
			t.Errorf("round trip of %v: %v, %v", got, back, err)
		}
	}
}

func TestMatrix(t *testing.T) {
	m := Matrix()
	// 10 faults x 4 phases, minus checkpoint-fail's 2, restore-fail's 3,
	// disk-full's 2, target-unreachable's 2 and agent-kill-unpacking's 3
	// impossible phases.
	if len(m) != 30 {
		t.Fatalf("matrix has %d cells, want 30: %v", len(m), m)
	}
	seen := map[Fault]bool{}
	for _, f := range m {
		if !f.Applies() || seen[f] {
			t.Errorf("cell %v: applies %v, duplicate %v", f, f.Applies(), seen[f])
		}
		seen[f] = true
	}
	if seen[Fault{FaultRestoreFail, PhaseRound}] || !seen[Fault{FaultRestoreFail, PhaseRestore}] {
		t.Errorf("restore-fail cells wrong: %v", m)
	}
}

func TestExplainNamesTheCauseAndTheFix(t *testing.T) {
	agentErr := func(host, op, msg string) error {
		return fmt.Errorf("pre-copy round 0: %w", &agent.AgentError{Host: host, Op: op, Status: 500, Msg: msg})
	}
	for _, tc := range []struct {
		f    Fault
		err  error
		want string
	}{
		{Fault{FaultLinkCut, PhaseRound}, agentErr("vm1", "POST /v1/containers/x/rounds", "round 1: sending to 10.0.0.2:7070: no progress for 30s after 65536 bytes"), "private link between the hosts stopped carrying data"},
		{Fault{FaultLinkCut, PhaseRound}, agentErr("vm1", "POST /v1/containers/x/rounds", "round 1: sending to 10.0.0.2:7070: dial tcp 10.0.0.2:7070: i/o timeout"), "private link between the hosts stopped carrying data"},
		{Fault{FaultAgentKill, PhaseRestore}, errors.New("agent vm2: POST /v1/incoming/x/restore: EOF"), "an agent went away"},
		{Fault{FaultDiskFull, PhaseFinalTransfer}, agentErr("vm1", "POST /v1/containers/x/checkpoint", "final dump: sending to 10.0.0.2:7070: agent vm2: write /var/lib/migrlab/agent/in/x/checkpoint.tar: no space left on device"), "ran out of disk space"},
		{Fault{FaultAgentKill, PhaseFinalTransfer}, agentErr("vm1", "POST /v1/containers/x/checkpoint", "final dump: sending to 10.0.0.2:7070: read: connection reset by peer"), "the transfer to the target failed"},
		{Fault{FaultRestoreFail, PhaseRestore}, agentErr("vm2", "POST /v1/incoming/x/restore", "podman restore: criu failed: EOF"), "restore on the target failed"},
		{Fault{FaultCheckpointFail, PhaseRound}, agentErr("vm1", "POST /v1/containers/x/rounds", `runc pre-dump round 1: exit status 1: msg="read unixpacket @->@: EOF"`), "checkpoint on the source failed"},
		{Fault{FaultCheckpointFail, PhaseFinalDump}, agentErr("vm1", "POST /v1/containers/x/checkpoint", "podman checkpoint: exit status 1"), "checkpoint on the source failed"},
		{Fault{FaultSigint, PhaseRound}, fmt.Errorf("round: %w", context.Canceled), "orchestrator was interrupted"},
		{Fault{FaultTargetUnreachable, PhaseRestore}, errors.New("resume on target: agent vm2: POST /v1/incoming/x/restore: read: use of closed network connection"), "lost its connection to the target's agent"},
		{Fault{FaultAgentKillUnpacking, PhaseRestore}, errors.New("resume on target: agent vm2: POST /v1/incoming/x/restore: EOF"), "an agent went away"},
	} {
		got := explain(tc.f, tc.err, true, "")
		if !strings.Contains(got, tc.want) || !strings.Contains(got, "run the migration again") || !strings.Contains(got, tc.err.Error()) {
			t.Errorf("explain(%v, %q) = %q; want the hint %q, the fix and the error", tc.f, tc.err, got, tc.want)
		}
	}
	// A rollback that did not complete: no promise that the workload runs.
	err := agentErr("vm1", "POST /v1/containers/x/checkpoint", "podman checkpoint: exit status 1")
	got := explain(Fault{FaultCheckpointFail, PhaseFinalDump}, err, false, "")
	if strings.Contains(got, "keeps running") || !strings.Contains(got, "checkpoint on the source failed") ||
		!strings.Contains(got, "may run on neither host") || !strings.Contains(got, "migrlab recover") || !strings.Contains(got, err.Error()) {
		t.Errorf("explain after a failed rollback = %q; want the cause, no promise, recover and the error", got)
	}
	// A rollback that had to start the workload again from its image.
	got = explain(Fault{FaultWorkloadKill, PhaseFinalDump}, err, true, "its process ended with the failed checkpoint")
	if strings.Contains(got, "keeps running") || !strings.Contains(got, "checkpoint on the source failed") ||
		!strings.Contains(got, "its process ended with the failed checkpoint") || !strings.Contains(got, "state LOST") ||
		!strings.Contains(got, "runs there once") || !strings.Contains(got, "run the migration again") {
		t.Errorf("explain after a restart = %q; want the cause, the restart, the lost state and the fix", got)
	}
}

// The workload-kill trigger waits for CRIU on the source and then kills
// the container's process: run in a shell with CRIU stood in for by a
// file, it kills a real process only once that file is there.
func TestWorkloadKillTrigger(t *testing.T) {
	victim := exec.Command("sleep", "60")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- victim.Wait() }()
	defer victim.Process.Kill()
	in := &injector{f: Fault{FaultWorkloadKill, PhaseFinalDump}, src: &Host{Name: "vm1"}, dst: &Host{Name: "vm2"}}
	h, cond := in.trigger(agent.Container{ID: testID, PID: victim.Process.Pid})
	if h.Name != "vm1" {
		t.Errorf("the trigger runs on %s, want the source", h.Name)
	}
	dir := t.TempDir()
	cond = strings.ReplaceAll(cond, "pgrep -x criu >/dev/null", "[ -e "+dir+"/criu ]")
	if out, _ := exec.Command("sh", "-c", cond).CombinedOutput(); strings.Contains(string(out), "triggered") {
		t.Fatalf("fired without CRIU: %q", out)
	}
	select {
	case err := <-exited:
		t.Fatalf("the process died without CRIU running: %v", err)
	default:
	}
	os.WriteFile(dir+"/criu", nil, 0o600)
	if out, err := exec.Command("sh", "-c", cond).CombinedOutput(); !strings.Contains(string(out), "triggered") {
		t.Fatalf("did not fire with CRIU running: %q %v", out, err)
	}
	if err := <-exited; err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("the process ended with %v, want killed", err)
	}
	// Without a PID there is nothing to kill: the trigger never fires.
	if _, cond := in.trigger(agent.Container{ID: testID}); cond != "false" {
		t.Errorf("trigger without a PID: %q", cond)
	}
}

// TestAgentKillUnpackingTrigger: the trigger kills the target's agent only
// while the archive's checkpoint directory is unpacked into the
// container's userdata and no CRIU ran yet: a CRIU seen first disarms it
// for good (the window was missed; it must not fire after the restore).
func TestAgentKillUnpackingTrigger(t *testing.T) {
	in := &injector{f: Fault{FaultAgentKillUnpacking, PhaseRestore}, src: &Host{Name: "vm1"}, dst: &Host{Name: "vm2"}}
	h, cond := in.trigger(agent.Container{ID: testID})
	if h.Name != "vm2" {
		t.Errorf("the trigger runs on %s, want the target", h.Name)
	}
	for _, want := range []string{"pgrep -x criu", "seen=1", `[ -z "$seen" ]`,
		"/var/lib/containers/storage/*-containers/" + testID + "/userdata/checkpoint", "systemctl kill -s KILL migrlab-agent.service"} {
		if !strings.Contains(cond, want) {
			t.Errorf("trigger %q lacks %q", cond, want)
		}
	}
	// The CRIU check comes before the unpacking check, and the kill last.
	if strings.Index(cond, "pgrep") > strings.Index(cond, "userdata/checkpoint") || strings.Index(cond, "userdata/checkpoint") > strings.Index(cond, "systemctl kill") {
		t.Errorf("trigger %q: want the CRIU latch, then the unpacking check, then the kill", cond)
	}
}

// TestAgentKillUnpackingTriggerFiresOnlyBeforeCRIU runs the trigger in a
// shell, with CRIU, the container's directory and the kill stood in for by
// files: it fires once the checkpoint directory is there and no CRIU ran,
// never after a CRIU was seen.
func TestAgentKillUnpackingTriggerFiresOnlyBeforeCRIU(t *testing.T) {
	dir := t.TempDir()
	in := &injector{f: Fault{FaultAgentKillUnpacking, PhaseRestore}, dst: &Host{Name: "vm2"}}
	_, cond := in.trigger(agent.Container{ID: testID})
	cond = strings.NewReplacer("pgrep -x criu >/dev/null", "[ -e "+dir+"/criu ]",
		"/var/lib/containers/storage/*-containers/"+testID+"/userdata/checkpoint", dir+"/checkpoint",
		"systemctl kill -s KILL migrlab-agent.service", "touch "+dir+"/killed").Replace(cond)
	for _, c := range []struct {
		name  string
		steps []string // shell run before each evaluation of the trigger
		fires bool
	}{
		{"unpacking, no CRIU yet", []string{"true", "mkdir " + dir + "/checkpoint"}, true},
		{"CRIU seen first", []string{"touch " + dir + "/criu", "rm " + dir + "/criu; mkdir " + dir + "/checkpoint"}, false},
		{"nothing unpacked", []string{"true", "true"}, false},
	} {
		os.RemoveAll(dir + "/checkpoint")
		os.Remove(dir + "/killed")
		var script strings.Builder
		for _, s := range c.steps {
			fmt.Fprintf(&script, "%s\nif %s; then exit 0; fi\n", s, cond)
		}
		script.WriteString("exit 3\n")
		out, err := exec.Command("sh", "-c", script.String()).CombinedOutput()
		_, kerr := os.Stat(dir + "/killed")
		if fired := err == nil && strings.Contains(string(out), "triggered") && kerr == nil; fired != c.fires {
			t.Errorf("%s: fired %v (%v, %q), want %v", c.name, fired, err, out, c.fires)
		}
	}
}
