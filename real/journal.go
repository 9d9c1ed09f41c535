package real

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/migrlab/migrlab/real/probe"
	"github.com/migrlab/migrlab/testbed"
)

// A journal entry records a migration in progress in the testbed's state
// directory (migrations/PID-CONTAINER.json): written before the technique
// runs, rewritten at every phase, removed once the migration ended in a
// consistent state (finished on the target or rolled back to the source).
// An entry whose orchestrator is gone (killed mid-migration) is what Recover
// repairs, like libvirt recovering its migration jobs after a daemon
// restart. Every write is atomic (a temporary file, fsync, rename), so a
// crash leaves the previous entry or the new one, never a torn one.
type journalEntry struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	Source  string    `json:"source"`
	Target  string    `json:"target"`
	// Phase is the migration's last phase: migrating (the technique runs),
	// verifying (the copies on the target are checked), finishing (the
	// source copies are removed) or rolling back.
	Phase   string          `json:"phase"`
	Updated time.Time       `json:"updated"`
	ProbeID string          `json:"probe_id,omitempty"`
	Members []journalMember `json:"members"`
}

type journalMember struct {
	Name       string `json:"name"`
	ID         string `json:"id"`
	SourceAddr string `json:"source_addr"`
	TargetAddr string `json:"target_addr"`
}

// Journal phases.
const (
	phaseMigrating   = "migrating"
	phaseVerifying   = "verifying"
	phaseFinishing   = "finishing"
	phaseRollingBack = "rolling back"
)

func journalDir(tb *Testbed) string { return filepath.Join(tb.Dir, "migrations") }

// journal is the runner's entry; its zero value (no testbed directory)
// writes nothing.
type journal struct {
	path  string
	entry journalEntry
	logf  func(string, ...any)
}

// journal writes the runner's entry.
func (r *runner) journal() *journal {
	if r.tb == nil || r.tb.Dir == "" {
		return &journal{}
	}
	e := journalEntry{PID: os.Getpid(), Started: time.Now().UTC(), Source: r.src.Name, Target: r.dst.Name, ProbeID: r.probeID}
	for _, m := range r.out.Members {
		e.Members = append(e.Members, journalMember{Name: m.Name, ID: m.ID, SourceAddr: m.SourceAddr, TargetAddr: m.TargetAddr})
	}
	j := &journal{path: filepath.Join(journalDir(r.tb), fmt.Sprintf("%d-%s.json", e.PID, e.Members[0].ID[:12])), entry: e, logf: r.logf}
	j.phase(phaseMigrating)
	return j
}

// phase records that the migration entered phase p.
func (j *journal) phase(p string) {
	if j.path == "" {
		return
	}
	j.entry.Phase, j.entry.Updated = p, time.Now().UTC()
	b, _ := json.MarshalIndent(j.entry, "", "  ")
	if err := testbed.WriteFile(j.path, b, 0o600); err != nil {
		j.logf("journal: %v (a killed run could not be recovered automatically)", err)
	}
}

// done removes the entry: the migration ended in a consistent state.
func (j *journal) done() {
	if j.path != "" {
		os.Remove(j.path)
	}
}

// ErrRecoveryPending means the testbed's journal holds a migration that a
// killed orchestrator left half-done: a new run could destroy the copy that
// recovery must restore.
var ErrRecoveryPending = errors.New("a migration that a killed migrlab left half-done awaits recovery")

// checkNoPendingRecovery fails with ErrRecoveryPending when tb's journal
// holds an entry of an orchestrator that is no longer running, or an agent
// of tb holds the record of such a migration (pendingInAgents).
func checkNoPendingRecovery(tb *Testbed) error {
	if tb == nil {
		return nil
	}
	if err := pendingInJournal(tb); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*recordsQueryTimeout)
	defer cancel()
	return pendingInAgents(ctx, tb)
}

// pendingInJournal fails with ErrRecoveryPending when tb's journal holds an
// entry of an orchestrator that is no longer running.
func pendingInJournal(tb *Testbed) error {
	if tb.Dir == "" {
		return nil
	}
	ents, _ := os.ReadDir(journalDir(tb))
	for _, de := range ents {
		if strings.HasPrefix(de.Name(), ".") || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(journalDir(tb), de.Name()))
		var e journalEntry
		if err == nil && json.Unmarshal(b, &e) == nil && alive(e.PID) {
			continue
		}
		return fmt.Errorf("testbed %s: %w (%s): run `migrlab recover --testbed %s` first",
			tb.Name, ErrRecoveryPending, filepath.Join(journalDir(tb), de.Name()), tb.Name)
	}
	return nil
}

// alive reports whether process pid exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Recovered is what Recover did for one container.
type Recovered struct {
	Name, ID string
	// Host is where the container runs afterwards.
	Host string
	// Action is "finished" (it ran on the target: the source copy was
	// removed), "rolled back" (it runs on the source again) or "restarted,
	// state lost" (its process had died with a failed checkpoint: it was
	// started again from its image on the source).
	Action string
	// Verified reports that it answers and its memory checksum matches.
	Verified bool
	// Seq and Nonce are from its verify reply.
	Seq   uint64
	Nonce string
}

// Recover repairs the migrations that an orchestrator killed mid-way left
// behind on the testbed (their journal entries name a process that no
// longer exists): a container already running on the target is finished
// there once it answers with intact memory (then the source copy and all
// checkpoint data are removed); any other is rolled back to run on the
// source, once the target confirmed that no copy runs there. Each is
// checked to answer with intact memory. Entries of live orchestrators are
// left alone. Then the agents' records (agent.Record) of migrations the
// journal does not hold (the operator's machine or the testbed's state
// directory was lost) are recovered by the same rules; see
// recoverFromAgents. When neither copy can be confirmed (a host does not
// answer), the migration is left as it is and the error says so.
func Recover(ctx context.Context, tb *Testbed, progress func(format string, a ...any)) ([]Recovered, error) {
	if progress == nil {
		progress = func(string, ...any) {}
	}
	out, skip, err := recoverJournal(ctx, tb, progress)
	more, aerr := recoverFromAgents(ctx, tb, skip, progress)
	return append(out, more...), errors.Join(err, aerr)
}

// recoverJournal recovers the journal's entries; skip holds the container
// IDs they name (recovered, failed or left alone).
func recoverJournal(ctx context.Context, tb *Testbed, progress func(format string, a ...any)) ([]Recovered, map[string]bool, error) {
	skip := map[string]bool{}
	if tb.Dir == "" {
		return nil, skip, nil
	}
	dir := journalDir(tb)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, skip, nil
	} else if err != nil {
		return nil, skip, err
	}
	var out []Recovered
	var errs []error
	for _, de := range ents {
		if strings.HasPrefix(de.Name(), ".") || !strings.HasSuffix(de.Name(), ".json") {
			continue // a temporary file of an interrupted write
		}
		p := filepath.Join(dir, de.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var e journalEntry
		if err := json.Unmarshal(b, &e); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: %w (remove it once you checked the hosts by hand)", p, err))
			continue
		}
		for _, m := range e.Members {
			skip[m.ID] = true
		}
		if alive(e.PID) && e.PID != os.Getpid() {
			progress("journal: migration of %s by process %d is still running: left alone", e.Members[0].Name, e.PID)
			continue
		}
		src, err1 := tb.Host(e.Source)
		dst, err2 := tb.Host(e.Target)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: %w", p, err))
			continue
		}
		progress("recovering the migration %s -> %s started %s by process %d (no longer running)",
			e.Source, e.Target, e.Started.Format(time.RFC3339), e.PID)
		if e.ProbeID != "" {
			src.Agent.StopProbe(ctx, e.ProbeID)
		}
		ok := true
		for _, m := range e.Members {
			r, err := recoverMember(ctx, src, dst, m, progress)
			if err != nil {
				ok = false
				errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
				continue
			}
			out = append(out, r)
		}
		if ok {
			os.Remove(p)
		}
	}
	return out, skip, errors.Join(errs...)
}

func recoverMember(ctx context.Context, src, dst *Host, m journalMember, progress func(string, ...any)) (Recovered, error) {
	rec := Recovered{Name: m.Name, ID: m.ID}
	sc, onSrc, err := src.Agent.Inspect(ctx, m.ID)
	if err != nil {
		return rec, err
	}
	var onTarget bool // running there
	deadline := time.Now().Add(AgentRestartWait)
	for {
		c, onDst, err := dst.Agent.Inspect(ctx, m.ID)
		if err == nil {
			onTarget = onDst && c.Running
			break
		}
		if time.Now().After(deadline) {
			return rec, fmt.Errorf("the target %s does not answer: cannot tell whether a copy runs there (the source copy is left as it is): %w", dst.Name, err)
		}
		sleepCtx(ctx, 2*time.Second)
	}
	switch {
	case onTarget && !(onSrc && sc.Running):
		// Keep the target's copy only once it answers with intact memory;
		// the source's checkpointed copy is removed after that, never before.
		v, verr := verifyAt(ctx, src, m.TargetAddr)
		if verr == nil {
			rec.Action, rec.Host = "finished", dst.Name
			if err := src.Agent.Remove(ctx, m.ID); err != nil {
				return rec, fmt.Errorf("removing the source copy: %w", err)
			}
			if err := dst.Agent.Forget(ctx, m.ID, false); err != nil {
				return rec, fmt.Errorf("cleaning the target: %w", err)
			}
			return verified(rec, v, m, progress), nil
		}
		if !onSrc {
			return rec, fmt.Errorf("the copy on %s failed its verification (%v) and the source %s has no copy to roll back to: left running on %s",
				dst.Name, verr, src.Name, dst.Name)
		}
		progress("%s: the copy on %s failed its verification (%v): rolling back to %s", m.Name, dst.Name, verr, src.Name)
	case !onSrc:
		return rec, fmt.Errorf("no copy on the source %s and none running on the target %s: the workload is lost", src.Name, dst.Name)
	}
	rec.Action, rec.Host = "rolled back", src.Name
	if err := dst.Agent.Forget(ctx, m.ID, true); err != nil {
		return rec, fmt.Errorf("cleaning the target (the source copy is left as it is): %w", err)
	}
	if c, there, err := dst.Agent.Inspect(ctx, m.ID); err != nil || there {
		return rec, fmt.Errorf("the target %s did not confirm that no copy runs there (%v, state %q): the source copy is left as it is", dst.Name, err, c.State)
	}
	rb, err := src.Agent.Rollback(ctx, m.ID)
	if err != nil {
		return rec, err
	}
	if rb.StateLost {
		rec.Action = "restarted, state lost"
		progress("%s: no checkpoint to restore on %s (%s): started again from its image, its memory state LOST", m.Name, src.Name, rb.Cause)
	}
	v, err := verifyAt(ctx, src, m.SourceAddr)
	if err != nil {
		return rec, fmt.Errorf("rolled back on %s: %w", src.Name, err)
	}
	return verified(rec, v, m, progress), nil
}

// verifyAt asks the workload at addr, from h's agent, to verify its memory,
// for up to two minutes while it does not answer; an answer whose memory
// does not verify is an error.
func verifyAt(ctx context.Context, h *Host, addr string) (probe.Reply, error) {
	v, err := h.Agent.Verify(ctx, addr)
	for i := 0; err != nil && i < 60 && ctx.Err() == nil; i++ {
		sleepCtx(ctx, 2*time.Second)
		v, err = h.Agent.Verify(ctx, addr)
	}
	switch {
	case err != nil:
		return v, fmt.Errorf("it does not answer at %s: %w", addr, err)
	case v.Verify == nil || !v.Verify.Match:
		return v, errors.New("its memory checksum does not match")
	}
	return v, nil
}

// verified fills rec from a verify reply and reports it.
func verified(rec Recovered, v probe.Reply, m journalMember, progress func(string, ...any)) Recovered {
	rec.Seq, rec.Nonce, rec.Verified = v.Seq, v.Nonce.String(), true
	progress("%s: %s, runs on %s (seq %d, nonce %s, memory verified %v)", m.Name, rec.Action, rec.Host, rec.Seq, rec.Nonce, rec.Verified)
	return rec
}
