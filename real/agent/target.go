package agent

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// idRE matches a full container ID.
var idRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// session is a migration announced to this (target) agent.
type session struct {
	id, name, token string
	// userData is where the container's userdata will be (U); rounds go to U/chain.
	userData string
	// archive is the received final checkpoint.
	archive string
	// restored is set once the container runs here.
	restored bool
}

// announce registers an incoming migration and prepares U/chain.
func (s *Server) announce(ctx context.Context, in Incoming) error {
	if !idRE.MatchString(in.ID) {
		return fmt.Errorf("incoming: %q is not a container ID (64 hex digits)", in.ID)
	}
	if len(in.Token) < 32 {
		return errors.New("incoming: token too short (want >= 32 characters)")
	}
	for _, n := range []string{in.ID, in.Name} {
		if n == "" {
			continue
		}
		if c, ok, err := s.pod.inspect(ctx, n); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("incoming: this host already has container %s (%s, %s): remove it first", c.Name, c.ID[:12], c.State)
		}
	}
	u, err := s.pod.userDataOf(ctx, in.ID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(u, chainDir), dirMode); err != nil {
		return err
	}
	dir, err := s.stateDir("in", in.ID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.incoming[in.ID] = &session{id: in.ID, name: in.Name, token: in.Token, userData: u,
		archive: filepath.Join(dir, "checkpoint.tar")}
	return nil
}

// session returns the announced migration of id if token matches.
func (s *Server) session(id, token string) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.incoming[id]
	if ss == nil {
		return nil, fmt.Errorf("no migration of %s was announced to this agent", id)
	}
	if subtle.ConstantTimeCompare([]byte(ss.token), []byte(token)) != 1 {
		return nil, errors.New("wrong migration token")
	}
	return ss, nil
}

// receiveRound stores round k of an announced migration under U/chain.
func (s *Server) receiveRound(ss *session, k int, body io.Reader) (int64, error) {
	if k < 1 || k > 10000 {
		return 0, fmt.Errorf("round %d out of range", k)
	}
	return extractRound(body, filepath.Join(ss.userData, chainDir), k)
}

// receiveArchive stores the final checkpoint archive of an announced migration.
func (s *Server) receiveArchive(ss *session, body io.Reader) (int64, error) {
	return writeFile(ss.archive, body)
}

// restore restores the announced container from the received archive and
// confirms it runs. A failed restore leaves a Created container behind:
// it is removed, so that the source can take over again.
func (s *Server) restore(ctx context.Context, id string) (RestoreReport, error) {
	var rep RestoreReport
	s.mu.Lock()
	ss := s.incoming[id]
	s.mu.Unlock()
	if ss == nil {
		return rep, fmt.Errorf("no migration of %s was announced to this agent", id)
	}
	if _, err := os.Stat(ss.archive); err != nil {
		return rep, fmt.Errorf("restore %s: no checkpoint archive received: %w", id[:12], err)
	}
	start := time.Now()
	st, err := s.pod.restoreImport(ctx, ss.archive)
	rep.RestoreTime = time.Since(start)
	if err != nil {
		err = fmt.Errorf("%w%s", err, criuErrors(filepath.Join(ss.userData, "restore.log")))
		if n := s.killLeftovers(context.WithoutCancel(ctx), id); n > 0 {
			s.cfg.Log.Warn("killed processes a failed restore left", "container", id[:12], "processes", n)
		}
		if rerr := s.pod.remove(context.WithoutCancel(ctx), id); rerr != nil {
			err = errors.Join(err, fmt.Errorf("removing the failed restore: %w", rerr))
		}
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
		return rep, fmt.Errorf("restore reported success but container %s does not exist", id[:12])
	case !c.Running || c.PID == 0:
		s.pod.remove(context.WithoutCancel(ctx), id)
		return rep, fmt.Errorf("restored container %s is %s, not running; removed it", c.Name, c.State)
	}
	rep.Container = c
	s.mu.Lock()
	ss.restored = true
	s.mu.Unlock()
	// The restored process holds its memory: the images are no longer needed.
	os.RemoveAll(filepath.Join(ss.userData, chainDir))
	os.Remove(ss.archive)
	return rep, nil
}

// forget ends an incoming migration: it removes the received data and, with
// removeContainer, the container if it was restored here (a rollback).
func (s *Server) forget(ctx context.Context, id string, removeContainer bool) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("%q is not a container ID", id)
	}
	s.mu.Lock()
	delete(s.incoming, id)
	s.mu.Unlock()
	var errs []error
	_, exists, err := s.pod.inspect(ctx, id)
	if err != nil {
		return err
	}
	if removeContainer {
		if n := s.killLeftovers(ctx, id); n > 0 {
			s.cfg.Log.Warn("killed processes of an unfinished restore", "container", id[:12], "processes", n)
		}
	}
	if exists && removeContainer {
		errs = append(errs, s.pod.remove(ctx, id))
		exists = false
	}
	u, err := s.pod.userDataOf(ctx, id)
	if err != nil {
		return err
	}
	if exists {
		errs = append(errs, os.RemoveAll(filepath.Join(u, chainDir)))
	} else {
		// Only the chain this agent made lives there: <graphroot>/<driver>-containers/ID.
		errs = append(errs, os.RemoveAll(filepath.Dir(u)))
	}
	errs = append(errs, os.RemoveAll(filepath.Join(s.cfg.StateDir, "in", id)))
	return errors.Join(errs...)
}
