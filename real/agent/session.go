package agent

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// idRE matches a full container or image ID.
var idRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// nameRE matches a Podman container name.
var nameRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// sessionState is where an announced migration stands.
type sessionState int

const (
	// sessionOpen: the source may upload rounds and the archive.
	sessionOpen sessionState = iota
	// sessionRestoring: the restore started; uploads are closed.
	sessionRestoring
	// sessionRestored: the container runs here.
	sessionRestored
	// sessionFailed: an archive was refused or the restore failed; only
	// Forget (the orchestrator's rollback) or expiry ends it.
	sessionFailed
)

// session is a migration announced to this (target) agent. Its fields
// after in are guarded by Server.mu.
type session struct {
	in Incoming
	// userData is where the container's userdata will be (U); rounds go
	// to chain (U/chain), the archive to archive (StateDir/in/ID).
	userData, chain, archive string
	// runRoot is Podman's run root (run files the restore may name).
	runRoot string

	state  sessionState
	reason error // why the session failed
	last   time.Time
	// rounds are the rounds received; archiveOK is set once an archive
	// was received and validated; volumes are the named volumes it makes.
	rounds    map[int]bool
	archiveOK bool
	volumes   []string
	// active counts the uploads in progress; uploads lets the restore
	// wait for them.
	active  int
	uploads sync.WaitGroup
}

// checkIncoming names every field an announce lacks or gets wrong.
func checkIncoming(in Incoming, withTLS bool) error {
	var bad []string
	if !idRE.MatchString(in.ID) {
		bad = append(bad, fmt.Sprintf("id %q is not a container ID (64 hex digits)", in.ID))
	}
	if !nameRE.MatchString(in.Name) {
		bad = append(bad, fmt.Sprintf("name %q is not a container name (the source's Container.Name)", in.Name))
	}
	if len(in.Token) < 32 {
		bad = append(bad, "token too short (want >= 32 characters)")
	}
	if !idRE.MatchString(in.ImageID) {
		bad = append(bad, "image_id is missing or not an image ID (the source's Container.ImageID)")
	}
	if in.Profile == nil || !idRE.MatchString(in.Profile.SpecDigest) {
		bad = append(bad, "profile is missing (the source agent's Container.Profile, from Inspect of the running container)")
	}
	if withTLS && in.Source == "" {
		bad = append(bad, "source is missing (the source host's name, the common name of its agent certificate)")
	}
	if in.MaxRoundBytes <= 0 || in.MaxArchiveBytes <= 0 {
		bad = append(bad, "max_round_bytes and max_archive_bytes must be > 0 (agent.UploadCaps of the container's memory)")
	}
	if len(bad) > 0 {
		return fmt.Errorf("incoming: %s", strings.Join(bad, "; "))
	}
	return nil
}

// announce registers an incoming migration and prepares U/chain. The
// caller holds the container's lock.
func (s *Server) announce(ctx context.Context, in Incoming) error {
	if err := checkIncoming(in, s.cfg.TLS != nil); err != nil {
		return statusErr(http.StatusBadRequest, err)
	}
	s.mu.Lock()
	old := s.incoming[in.ID]
	expired := old != nil && s.expired(old, time.Now())
	s.mu.Unlock()
	switch {
	case expired:
		if err := s.forget(ctx, in.ID, false); err != nil {
			return fmt.Errorf("incoming: removing the expired migration of %s: %w", in.ID[:12], err)
		}
	case old != nil:
		return statusErr(http.StatusConflict, fmt.Errorf("incoming: a migration of %s (%s) is already announced to this agent "+
			"(from %s, last active %s ago): end it first (DELETE /v1/incoming/%s, the orchestrator's rollback) or wait %s for it to expire",
			old.in.Name, in.ID[:12], old.in.Source, time.Since(old.last).Round(time.Second), in.ID, s.cfg.Limits.SessionTTL))
	}
	for _, n := range []string{in.ID, in.Name} {
		if c, ok, err := s.pod.inspect(ctx, n); err != nil {
			return err
		} else if ok {
			return statusErr(http.StatusConflict, fmt.Errorf("incoming: this host already has container %s (%s, %s): remove it first", c.Name, c.ID[:12], c.State))
		}
	}
	st, err := s.pod.store(ctx)
	if err != nil {
		return err
	}
	u := st.userData(in.ID)
	chain := filepath.Join(u, chainDir)
	if err := os.MkdirAll(u, dirMode); err != nil {
		return err
	}
	// A fresh, real directory: nothing left from before is written through.
	if err := os.RemoveAll(chain); err != nil {
		return err
	}
	if err := os.Mkdir(chain, dirMode); err != nil {
		return err
	}
	dir, err := s.stateDir("in", in.ID)
	if err != nil {
		return err
	}
	if err := s.checkRoom(in, chain, dir); err != nil {
		os.RemoveAll(chain)
		return err
	}
	// The record comes first: a migration this agent could not record is
	// one `migrlab recover` could not find without the orchestrator's
	// journal.
	err = s.records.put(RoleTarget, in.ID, true, func(r *Record) {
		*r = Record{ID: in.ID, Name: in.Name, Role: RoleTarget, Phase: PhaseAnnounced, Created: r.Created}
		if in.Origin != nil {
			r.Origin = *in.Origin
		}
		r.Peer = firstNonEmpty(r.Origin.Source, in.Source)
	})
	if err != nil {
		os.RemoveAll(chain)
		return fmt.Errorf("incoming: recording the migration: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.incoming[in.ID] = &session{in: in, userData: u, chain: chain, archive: filepath.Join(dir, "checkpoint.tar"),
		runRoot: st.RunRoot, last: time.Now(), rounds: map[int]bool{}}
	return nil
}

// checkRoom refuses an announce when the disks lack room for what the caps
// allow: the rounds and the unpacked archive in U, the archive in StateDir.
func (s *Server) checkRoom(in Incoming, chain, dir string) error {
	need := map[string]uint64{chain: uint64(in.MaxRoundBytes) + uint64(in.MaxArchiveBytes), dir: uint64(in.MaxArchiveBytes)}
	if sameFS(chain, dir) {
		need = map[string]uint64{chain: need[chain] + need[dir]}
	}
	for p, n := range need {
		free, err := s.freeSpace(p)
		if err != nil {
			return fmt.Errorf("incoming: free space of %s: %w", p, err)
		}
		if free < n {
			return statusErr(http.StatusInsufficientStorage, fmt.Errorf("incoming: not enough free space: %d MiB free on the file system of %s, "+
				"the announced caps (max_round_bytes %d, max_archive_bytes %d) need %d MiB: free space on the target or migrate a smaller container",
				free>>20, p, in.MaxRoundBytes, in.MaxArchiveBytes, n>>20))
		}
	}
	return nil
}

// expired reports whether ss saw no activity for Limits.SessionTTL. A
// restore in progress and uploads in progress never expire. Server.mu held.
func (s *Server) expired(ss *session, now time.Time) bool {
	return ss.state != sessionRestoring && ss.active == 0 && now.Sub(ss.last) > s.cfg.Limits.SessionTTL
}

// openUpload admits an upload of migration id: the token must match, the
// client certificate must be the announced source's (with TLS), and the
// session must be open. done ends the upload.
func (s *Server) openUpload(r *http.Request, id string) (ss *session, done func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss = s.incoming[id]
	if ss == nil {
		return nil, nil, statusErr(http.StatusForbidden, fmt.Errorf("no migration of %s was announced to this agent", id))
	}
	if subtle.ConstantTimeCompare([]byte(ss.in.Token), []byte(r.Header.Get(TokenHeader))) != 1 {
		return nil, nil, statusErr(http.StatusForbidden, errors.New("wrong migration token"))
	}
	if s.cfg.TLS != nil && clientName(r) != ss.in.Source {
		return nil, nil, statusErr(http.StatusForbidden, fmt.Errorf("the migration of %s was announced from %s: the certificate of %q may not send it",
			id[:12], ss.in.Source, clientName(r)))
	}
	now := time.Now()
	if s.expired(ss, now) {
		return nil, nil, statusErr(http.StatusGone, fmt.Errorf("the migration of %s expired (no activity for %s): announce it again",
			id[:12], s.cfg.Limits.SessionTTL))
	}
	switch ss.state {
	case sessionRestoring, sessionRestored:
		return nil, nil, statusErr(http.StatusConflict, fmt.Errorf("uploads of the migration of %s are closed: its restore started", id[:12]))
	case sessionFailed:
		return nil, nil, statusErr(http.StatusConflict, fmt.Errorf("the migration of %s failed (%v): roll it back and announce it again", id[:12], ss.reason))
	}
	ss.active++
	ss.uploads.Add(1)
	ss.last = now
	return ss, func() {
		s.mu.Lock()
		ss.active--
		ss.last = time.Now()
		s.mu.Unlock()
		ss.uploads.Done()
	}, nil
}

// fail closes ss for good: an archive was refused or its restore failed.
// What was received is removed (unless ss was already replaced by a new
// announce, whose data lives at the same paths): nothing of it will be
// restored.
func (s *Server) fail(ss *session, reason error) {
	s.mu.Lock()
	ss.state, ss.reason, ss.archiveOK = sessionFailed, reason, false
	current := s.incoming[ss.in.ID] == ss
	if current {
		os.RemoveAll(ss.chain)
		os.Remove(ss.archive)
	}
	s.mu.Unlock()
	if current {
		s.targetPhase(ss.in.ID, PhaseFailed, func(r *Record) { r.Detail = reason.Error() })
	}
}

// expireSessions removes expired migrations and their data until ctx ends.
func (s *Server) expireSessions(ctx context.Context) {
	t := time.NewTicker(min(s.cfg.Limits.SessionTTL/4, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.sweepExpired(ctx)
		}
	}
}

// sweepExpired removes the migrations that expired, with their data (a
// container restored here stays).
func (s *Server) sweepExpired(ctx context.Context) {
	s.mu.Lock()
	var ids []string
	now := time.Now()
	for id, ss := range s.incoming {
		if s.expired(ss, now) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		func() {
			defer s.lock(id)()
			s.mu.Lock()
			ss := s.incoming[id]
			still := ss != nil && s.expired(ss, time.Now())
			s.mu.Unlock()
			if still {
				err := s.forget(ctx, id, false)
				s.cfg.Log.Warn("an announced migration expired; removed its data", "container", id[:12], "ttl", s.cfg.Limits.SessionTTL, "err", err)
			}
		}()
	}
}
