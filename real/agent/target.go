package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// restore restores the announced container from the received, validated
// archive and confirms it runs. It closes the migration's uploads first and
// waits for those in progress. A restore that fails removes what it
// created (the container, its leftover processes and runc state, the
// volumes the archive named), so that the source can take over again.
func (s *Server) restore(ctx context.Context, id string) (RestoreReport, error) {
	var rep RestoreReport
	ss, err := s.startRestore(id)
	if err != nil {
		return rep, err
	}
	ss.uploads.Wait()
	s.targetPhase(id, PhaseRestoring, nil)
	s.mu.Lock()
	ok, vols := ss.archiveOK, ss.volumes
	s.mu.Unlock()
	if !ok {
		err := statusErr(http.StatusConflict, fmt.Errorf("restore %s: no checkpoint archive was received and validated "+
			"(the final transfer did not complete or was refused): roll the migration back", id[:12]))
		s.fail(ss, err)
		return rep, err
	}
	start := time.Now()
	st, err := s.pod.restoreImport(ctx, ss.archive)
	rep.RestoreTime = time.Since(start)
	if err != nil {
		err = fmt.Errorf("%w%s", err, criuErrors(filepath.Join(ss.userData, "restore.log")))
		err = errors.Join(err, s.undoRestore(context.WithoutCancel(ctx), id, vols))
		s.fail(ss, err)
		return rep, err
	}
	if st != nil {
		rep.Stats = *st
	}
	c, ok, err := s.pod.inspect(ctx, id)
	switch {
	case err != nil:
		return rep, err
	case !ok:
		err = fmt.Errorf("restore reported success but container %s does not exist", id[:12])
		err = errors.Join(err, s.undoRestore(context.WithoutCancel(ctx), id, vols))
		s.fail(ss, err)
		return rep, err
	case !c.Running || c.PID == 0:
		err = fmt.Errorf("restored container %s is %s, not running; removed it", c.Name, c.State)
		err = errors.Join(err, s.undoRestore(context.WithoutCancel(ctx), id, vols))
		s.fail(ss, err)
		return rep, err
	}
	rep.Container = c
	s.mu.Lock()
	ss.state, ss.last = sessionRestored, time.Now()
	s.mu.Unlock()
	s.targetPhase(id, PhaseRestored, nil)
	// The restored process holds its memory: the images are no longer needed.
	os.RemoveAll(ss.chain)
	os.Remove(ss.archive)
	return rep, nil
}

// startRestore closes the uploads of migration id and marks it restoring.
func (s *Server) startRestore(id string) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.incoming[id]
	switch {
	case ss == nil:
		return nil, statusErr(http.StatusNotFound, fmt.Errorf("no migration of %s was announced to this agent", id))
	case s.expired(ss, time.Now()):
		return nil, statusErr(http.StatusGone, fmt.Errorf("the migration of %s expired (no activity for %s): roll it back and announce it again",
			id[:12], s.cfg.Limits.SessionTTL))
	case ss.state == sessionRestoring || ss.state == sessionRestored:
		return nil, statusErr(http.StatusConflict, fmt.Errorf("the restore of %s already started here", id[:12]))
	case ss.state == sessionFailed:
		return nil, statusErr(http.StatusConflict, fmt.Errorf("the migration of %s failed (%v): roll it back", id[:12], ss.reason))
	}
	ss.state, ss.last = sessionRestoring, time.Now()
	return ss, nil
}

// undoRestore removes what a failed restore of id created: processes and
// runc state it left, the container, and the volumes the archive named
// (Podman refuses to restore over an existing volume, so they are its).
func (s *Server) undoRestore(ctx context.Context, id string, volumes []string) error {
	if n := s.killLeftovers(ctx, id); n > 0 {
		s.cfg.Log.Warn("killed processes a failed restore left", "container", id[:12], "processes", n)
	}
	var errs []error
	if err := s.pod.remove(ctx, id); err != nil {
		errs = append(errs, fmt.Errorf("removing the failed restore: %w", err))
	}
	for _, v := range volumes {
		errs = append(errs, s.pod.removeVolume(ctx, v))
	}
	return errors.Join(errs...)
}

// forget ends an incoming migration: it removes the received data and, with
// removeContainer, the container if it was restored here (a rollback) with
// the volumes its archive named.
func (s *Server) forget(ctx context.Context, id string, removeContainer bool) error {
	if !idRE.MatchString(id) {
		return statusErr(http.StatusBadRequest, fmt.Errorf("%q is not a container ID", id))
	}
	s.mu.Lock()
	ss := s.incoming[id]
	delete(s.incoming, id)
	s.mu.Unlock()
	var errs []error
	_, exists, err := s.pod.inspect(ctx, id)
	if err != nil {
		return err
	}
	if removeContainer {
		var vols []string
		if ss != nil {
			s.mu.Lock()
			vols = ss.volumes
			s.mu.Unlock()
		}
		errs = append(errs, s.undoRestore(ctx, id, vols))
		exists = false
	}
	st, err := s.pod.store(ctx)
	if err != nil {
		return err
	}
	u := st.userData(id)
	if exists {
		errs = append(errs, os.RemoveAll(filepath.Join(u, chainDir)))
	} else {
		// Only the chain this agent made lives there: <graphroot>/<driver>-containers/ID.
		errs = append(errs, os.RemoveAll(filepath.Dir(u)))
	}
	errs = append(errs, os.RemoveAll(filepath.Join(s.cfg.StateDir, "in", id)))
	return errors.Join(errs...)
}
