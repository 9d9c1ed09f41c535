package real

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A journal entry records a migration in progress in the testbed's state
// directory (migrations/PID-CONTAINER.json): written before the technique
// runs, removed once the migration ended in a consistent state (finished on
// the target or rolled back to the source). An entry whose orchestrator is
// gone (killed mid-migration) is what Recover repairs, like libvirt
// recovering its migration jobs after a daemon restart.
type journalEntry struct {
	PID     int             `json:"pid"`
	Started time.Time       `json:"started"`
	Source  string          `json:"source"`
	Target  string          `json:"target"`
	ProbeID string          `json:"probe_id,omitempty"`
	Members []journalMember `json:"members"`
}

type journalMember struct {
	Name       string `json:"name"`
	ID         string `json:"id"`
	SourceAddr string `json:"source_addr"`
	TargetAddr string `json:"target_addr"`
}

func journalDir(tb *Testbed) string { return filepath.Join(tb.Dir, "migrations") }

// journal writes the runner's entry; the returned function removes it.
func (r *runner) journal() func() {
	if r.tb == nil || r.tb.Dir == "" {
		return func() {}
	}
	e := journalEntry{PID: os.Getpid(), Started: time.Now().UTC(), Source: r.src.Name, Target: r.dst.Name, ProbeID: r.probeID}
	for _, m := range r.out.Members {
		e.Members = append(e.Members, journalMember{Name: m.Name, ID: m.ID, SourceAddr: m.SourceAddr, TargetAddr: m.TargetAddr})
	}
	dir := journalDir(r.tb)
	p := filepath.Join(dir, fmt.Sprintf("%d-%s.json", e.PID, e.Members[0].ID[:12]))
	b, _ := json.MarshalIndent(e, "", "  ")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		r.logf("journal: %v (a killed run could not be recovered automatically)", err)
		return func() {}
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		r.logf("journal: %v (a killed run could not be recovered automatically)", err)
		return func() {}
	}
	return func() { os.Remove(p) }
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
	// removed) or "rolled back" (it runs on the source again).
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
// there (the source copy and all checkpoint data removed); any other is
// rolled back to run on the source. Each is checked to answer with intact
// memory. Entries of live orchestrators are left alone.
func Recover(ctx context.Context, tb *Testbed, progress func(format string, a ...any)) ([]Recovered, error) {
	if progress == nil {
		progress = func(string, ...any) {}
	}
	dir := journalDir(tb)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []Recovered
	var errs []error
	for _, de := range ents {
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
	return out, errors.Join(errs...)
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
			return rec, fmt.Errorf("the target %s does not answer: cannot tell whether a copy runs there: %w", dst.Name, err)
		}
		sleepCtx(ctx, 2*time.Second)
	}
	addr := m.SourceAddr
	switch {
	case onTarget && !(onSrc && sc.Running):
		rec.Action, rec.Host, addr = "finished", dst.Name, m.TargetAddr
		if err := src.Agent.Remove(ctx, m.ID); err != nil {
			return rec, fmt.Errorf("removing the source copy: %w", err)
		}
		if err := dst.Agent.Forget(ctx, m.ID, false); err != nil {
			return rec, fmt.Errorf("cleaning the target: %w", err)
		}
	case !onSrc:
		return rec, fmt.Errorf("no copy on the source %s and none running on the target %s: the workload is lost", src.Name, dst.Name)
	default:
		rec.Action, rec.Host = "rolled back", src.Name
		if err := dst.Agent.Forget(ctx, m.ID, true); err != nil {
			return rec, fmt.Errorf("cleaning the target: %w", err)
		}
		if _, err := src.Agent.Rollback(ctx, m.ID); err != nil {
			return rec, err
		}
	}
	v, err := src.Agent.Verify(ctx, addr)
	for i := 0; err != nil && i < 60 && ctx.Err() == nil; i++ {
		sleepCtx(ctx, 2*time.Second)
		v, err = src.Agent.Verify(ctx, addr)
	}
	if err != nil {
		return rec, fmt.Errorf("%s on %s does not answer at %s: %w", rec.Action, rec.Host, addr, err)
	}
	rec.Seq, rec.Nonce = v.Seq, v.Nonce.String()
	rec.Verified = v.Verify != nil && v.Verify.Match
	progress("%s: %s, runs on %s (seq %d, nonce %s, memory verified %v)", m.Name, rec.Action, rec.Host, rec.Seq, rec.Nonce, rec.Verified)
	if !rec.Verified {
		return rec, errors.New("memory checksum does not match after the recovery")
	}
	return rec, nil
}
