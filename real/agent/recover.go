package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// thaw resumes container c's processes if they are frozen: CRIU freezes the
// container's cgroup while it dumps and thaws it when done, but a CRIU that
// dies mid-dump (killed, out of memory) leaves the cgroup frozen, and Podman
// still reports the container as running. runc's state shows it as paused.
func (s *Server) thaw(ctx context.Context, c Container) (bool, error) {
	out, err := exec.CommandContext(ctx, s.cfg.Runc, "--root", s.cfg.RuncRoot, "state", c.ID).Output()
	if err != nil {
		return false, fmt.Errorf("runc state %s: %w", c.ID[:12], err)
	}
	var st struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return false, fmt.Errorf("runc state %s: %w", c.ID[:12], err)
	}
	if st.Status != "paused" {
		return false, nil
	}
	if b, err := exec.CommandContext(ctx, s.cfg.Runc, "--root", s.cfg.RuncRoot, "resume", c.ID).CombinedOutput(); err != nil {
		return false, fmt.Errorf("container %s was left frozen (a checkpoint died mid-dump) and runc resume failed: %v: %s",
			c.Name, err, strings.TrimSpace(string(b)))
	}
	return true, nil
}

// cleanStale removes what interrupted migrations left in the state
// directory: received rounds and archives of migrations announced to a
// previous run of this agent (their sessions died with it) and exports of
// final dumps. Containers are not touched: a container restored here stays
// until the orchestrator decides (Forget with remove, or Finish).
func (s *Server) cleanStale(ctx context.Context) {
	// Records outlive restarts (recovery needs them); expired ones go.
	if _, err := s.records.list(time.Now()); err != nil {
		s.cfg.Log.Warn("reading the migration records", "err", err)
	}
	for _, kind := range []string{"in", "out"} {
		ents, err := os.ReadDir(filepath.Join(s.cfg.StateDir, kind))
		if err != nil {
			continue
		}
		for _, e := range ents {
			id := e.Name()
			if !idRE.MatchString(id) {
				continue
			}
			var err error
			if kind == "in" {
				err = s.forget(ctx, id, false)
			} else {
				err = os.RemoveAll(filepath.Join(s.cfg.StateDir, kind, id))
			}
			s.cfg.Log.Info("removed the data of an interrupted migration", "container", id[:12], "kind", kind, "err", err)
		}
	}
}

// unlockNetwork removes the network lock a dying CRIU left in container c's
// network namespace. CRIU locks the namespace while it dumps (an iptables
// chain "CRIU" that drops every packet not marked by CRIU itself, hooked into
// INPUT and OUTPUT) and removes it when done; killed mid-dump, it leaves the
// container running but cut off: it answers nobody.
func (s *Server) unlockNetwork(ctx context.Context, c Container) (bool, error) {
	if c.PID <= 0 {
		return false, nil
	}
	pid := strconv.Itoa(c.PID)
	unlocked := false
	for _, ipt := range []string{"iptables", "ip6tables"} {
		run := func(args ...string) error {
			return exec.CommandContext(ctx, "nsenter", append([]string{"-t", pid, "-n", ipt, "-w"}, args...)...).Run()
		}
		if run("-S", "CRIU") != nil {
			continue // no lock (or no such table)
		}
		run("-D", "INPUT", "-j", "CRIU")
		run("-D", "OUTPUT", "-j", "CRIU")
		run("-F", "CRIU")
		if err := run("-X", "CRIU"); err != nil {
			return unlocked, fmt.Errorf("container %s: removing the network lock a failed checkpoint left (%s chain CRIU): %w", c.Name, ipt, err)
		}
		unlocked = true
	}
	return unlocked, nil
}

// killLeftovers kills what a failed restore of container id may have left
// running: conmon, runc and CRIU processes of that container (their command
// lines name it). A CRIU that died mid-restore leaves runc and conmon
// waiting until podman's creation timeout, and they hold the container's
// published ports: the next restore of the same container would fail with
// "address already in use". What CRIU restored before it died stays in the
// container's cgroup under the app's own name: killCgroupMembers.
// Killed mid-restore, runc also leaves its state (RuncRoot/ID), which makes
// the next restore of the container fail with "container with given ID
// already exists": it is deleted too.
func (s *Server) killLeftovers(ctx context.Context, id string) int {
	if !idRE.MatchString(id) {
		return 0
	}
	out, _ := exec.CommandContext(ctx, "pgrep", "-f", id).Output()
	n := len(strings.Fields(string(out)))
	if n > 0 {
		exec.CommandContext(ctx, "pkill", "-KILL", "-f", id).Run()
	}
	n += killCgroupMembers(cgroupRoot, id)
	if _, err := os.Stat(filepath.Join(s.cfg.RuncRoot, id)); err == nil {
		exec.CommandContext(ctx, s.cfg.Runc, "--root", s.cfg.RuncRoot, "delete", "--force", id).Run()
		n++
	}
	return n
}
