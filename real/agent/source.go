package agent

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Names inside a container's userdata directory U.
const (
	chainDir         = "chain"          // U/chain/rK (images), U/chain/wK (CRIU work dirs)
	preCheckpointDir = "pre-checkpoint" // podman's parent of the final dump
	checkpointDir    = "checkpoint"     // podman's final dump
)

func roundName(k int) string { return fmt.Sprintf("r%d", k) }
func workName(k int) string  { return fmt.Sprintf("w%d", k) }

// preDump runs pre-dump round k of container c with runc, chained to round
// k-1 when k > 1, and sends the round's images to the target.
func (s *Server) preDump(ctx context.Context, c Container, req RoundRequest) (RoundReport, error) {
	rep := RoundReport{Round: req.Round}
	k := req.Round
	if k < 1 {
		return rep, fmt.Errorf("round must be >= 1, got %d", k)
	}
	if !c.Running {
		return rep, fmt.Errorf("container %s is %s, not running", c.Name, c.State)
	}
	chain := filepath.Join(c.UserData, chainDir)
	img, work := filepath.Join(chain, roundName(k)), filepath.Join(chain, workName(k))
	if k > 1 {
		if _, err := os.Stat(filepath.Join(chain, roundName(k-1))); err != nil {
			return rep, fmt.Errorf("round %d needs round %d first: %w", k, k-1, err)
		}
	}
	for _, d := range []string{img, work} {
		if err := os.RemoveAll(d); err != nil {
			return rep, err
		}
	}
	if err := os.MkdirAll(chain, dirMode); err != nil {
		return rep, err
	}
	args := []string{"--root", s.cfg.RuncRoot, "checkpoint", "--pre-dump", "--image-path", img, "--work-path", work}
	if k > 1 {
		args = append(args, "--parent-path", "../"+roundName(k-1))
	}
	args = append(args, c.ID)
	start := time.Now()
	out, err := exec.CommandContext(ctx, s.cfg.Runc, args...).CombinedOutput()
	rep.DumpTime = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("runc pre-dump round %d: %v: %s%s", k, err, strings.TrimSpace(string(out)),
			criuErrors(filepath.Join(work, "dump.log")))
	}
	if rep.Stats, err = ReadDumpStats(filepath.Join(work, StatsDumpFile)); err != nil {
		return rep, fmt.Errorf("round %d: CRIU statistics: %w", k, err)
	}
	if rep.PagesBytes, err = pagesBytes(img); err != nil {
		return rep, err
	}
	url := s.peerScheme() + "://" + req.Target + "/v1/incoming/" + c.ID + "/rounds/" + fmt.Sprint(k)
	rep.Transfer, err = push(ctx, s.peer, url, req.Token, func(tw *tar.Writer) (int, error) {
		return addTree(tw, img, roundName(k))
	})
	if err != nil {
		return rep, fmt.Errorf("round %d: %w", k, err)
	}
	return rep, nil
}

// finalDump freezes the container with podman's checkpoint (chained to
// pre-dump round req.Rounds), exports it and sends the archive, with the
// pre-checkpoint symlink the target needs, to the target.
func (s *Server) finalDump(ctx context.Context, c Container, req CheckpointRequest, queued time.Time) (CheckpointReport, error) {
	var rep CheckpointReport
	if !c.Running {
		return rep, fmt.Errorf("container %s is %s, not running", c.Name, c.State)
	}
	pre := filepath.Join(c.UserData, preCheckpointDir)
	if err := os.RemoveAll(pre); err != nil {
		return rep, err
	}
	if req.Rounds > 0 {
		last := filepath.Join(chainDir, roundName(req.Rounds))
		if _, err := os.Stat(filepath.Join(c.UserData, last)); err != nil {
			return rep, fmt.Errorf("final dump after round %d: %w", req.Rounds, err)
		}
		// Relative, inside userdata: CRIU resolves the parent from U/checkpoint.
		if err := os.Symlink(last, pre); err != nil {
			return rep, err
		}
	}
	dir, err := s.stateDir("out", c.ID)
	if err != nil {
		return rep, err
	}
	archive := filepath.Join(dir, "checkpoint.tar")
	os.Remove(archive)
	rep.Queued = time.Since(queued)
	start := time.Now()
	err = s.pod.checkpoint(ctx, c.ID, archive, req.Rounds > 0)
	rep.DumpTime = time.Since(start)
	if err != nil {
		return rep, fmt.Errorf("%w%s", err, criuErrors(filepath.Join(c.UserData, "dump.log")))
	}
	s.record(RoleSource, c.ID, false, func(rec *Record) { rec.Phase = PhaseCheckpointed })
	os.Chmod(archive, fileMode)
	st, err := os.Stat(archive)
	if err != nil {
		return rep, fmt.Errorf("podman's export: %w", err)
	}
	rep.ArchiveBytes = st.Size()
	if rep.Stats, err = ReadDumpStats(filepath.Join(c.UserData, StatsDumpFile)); err != nil {
		return rep, fmt.Errorf("final dump: CRIU statistics: %w", err)
	}
	url := s.peerScheme() + "://" + req.Target + "/v1/incoming/" + c.ID + "/archive"
	rep.Transfer, err = push(ctx, s.peer, url, req.Token, func(tw *tar.Writer) (int, error) {
		n, err := copyTar(tw, archive)
		if err != nil || req.Rounds == 0 {
			return n, err
		}
		// Podman's export leaves out pre-checkpoint; the restore needs it.
		return n, tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: preCheckpointDir,
			Linkname: chainDir + "/" + roundName(req.Rounds), Mode: 0o777, ModTime: time.Now()})
	})
	if err != nil {
		return rep, fmt.Errorf("final dump: %w", err)
	}
	return rep, nil
}

// rollback makes the container run on this host again after a migration that
// did not complete: it restores a checkpointed container from its kept
// checkpoint (chained to U/pre-checkpoint), thaws a running one that a dying
// CRIU left frozen and removes the network lock it left, and cleans the
// migration's files. A container whose process died with a failed dump (a
// CRIU killed while its parasite ran inside the task can take the task with
// it) has no complete checkpoint to restore: it is started again from its
// image, so that it runs once, and the report says its memory state was
// lost. The caller made sure that no copy runs on the target.
func (s *Server) rollback(ctx context.Context, c Container) (RollbackReport, error) {
	rep := RollbackReport{Container: c}
	if c.Running {
		if thawed, err := s.thaw(ctx, c); err != nil {
			return rep, err
		} else if thawed {
			s.cfg.Log.Warn("thawed a container a failed checkpoint left frozen", "container", c.Name)
		}
		if unlocked, err := s.unlockNetwork(ctx, c); err != nil {
			return rep, err
		} else if unlocked {
			s.cfg.Log.Warn("removed the network lock a failed checkpoint left", "container", c.Name)
		}
	} else if err := s.resumeStopped(ctx, c, &rep); err != nil {
		return rep, err
	}
	s.cleanSource(c)
	c2, ok, err := s.pod.inspect(ctx, c.ID)
	switch {
	case err != nil:
		return rep, err
	case !ok || !c2.Running:
		return rep, fmt.Errorf("rollback of %s: not running afterwards (state %q)", c.Name, c2.State)
	}
	rep.Container = c2
	return rep, nil
}

// resumeStopped runs a container that is not running again: restored from
// its checkpoint when podman completed one, else (or when that restore
// fails and leaves it stopped) started from its image, with rep.StateLost
// and rep.Cause saying why.
func (s *Server) resumeStopped(ctx context.Context, c Container, rep *RollbackReport) error {
	var restoreErr error
	if c.Checkpointed {
		restoreErr = s.pod.restoreLocal(ctx, c.ID)
		if restoreErr == nil {
			return nil
		}
		restoreErr = fmt.Errorf("%w%s", restoreErr, criuErrors(filepath.Join(c.UserData, "restore.log")))
		if c2, ok, err := s.pod.inspect(ctx, c.ID); err != nil || !ok || c2.Running {
			// Running after all, or nothing to start: the caller's
			// inspection tells.
			return nil
		}
		rep.Cause = "its kept checkpoint did not restore: " + firstLine(restoreErr.Error())
	} else {
		rep.Cause = fmt.Sprintf("its process ended with the failed checkpoint (state %q) and no complete checkpoint was left to restore", c.State)
	}
	if err := s.pod.start(ctx, c.ID); err != nil {
		return errors.Join(restoreErr, fmt.Errorf("rollback of %s: %s; starting it again from its image failed too: %w", c.Name, rep.Cause, err))
	}
	rep.StateLost = true
	s.cfg.Log.Warn("started a container again from its image: its memory state was lost", "container", c.Name, "cause", rep.Cause)
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// cleanSource removes the migration's files on the source: the chain, the
// pre-checkpoint link and the export.
func (s *Server) cleanSource(c Container) error {
	var errs []error
	if c.UserData != "" {
		errs = append(errs, os.RemoveAll(filepath.Join(c.UserData, chainDir)))
		errs = append(errs, os.RemoveAll(filepath.Join(c.UserData, preCheckpointDir)))
	}
	if c.ID != "" {
		errs = append(errs, os.RemoveAll(filepath.Join(s.cfg.StateDir, "out", c.ID)))
	}
	return errors.Join(errs...)
}

// criuErrors returns the lines of a CRIU log that report errors, for error
// messages (CRIU logs hold no checkpoint data).
func criuErrors(logPath string) string {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return ""
	}
	var errs []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "Error") || strings.Contains(l, "error") {
			errs = append(errs, strings.TrimSpace(l))
		}
	}
	if len(errs) > 8 {
		errs = errs[len(errs)-8:]
	}
	if len(errs) == 0 {
		return ""
	}
	return "\nCRIU log " + logPath + ":\n  " + strings.Join(errs, "\n  ")
}
