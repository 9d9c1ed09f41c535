package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// The transfer endpoints a peer agent pushes a migration's data to. An
// upload is admitted by openUpload (token, certificate, session open),
// capped at the announced size (Content-Length and counted), checked
// entry by entry while it is written under a temporary name, checked
// against the length and digest the sender gives in its trailers, synced
// to disk, and only then renamed into place.

func (s *Server) handleReceiveRound(w http.ResponseWriter, r *http.Request) {
	k, err := strconv.Atoi(r.PathValue("k"))
	if err != nil || k < 1 || k > s.cfg.Limits.MaxRounds {
		writeErr(w, statusErr(http.StatusBadRequest, fmt.Errorf("round %q: want a number in 1..%d", r.PathValue("k"), s.cfg.Limits.MaxRounds)))
		return
	}
	ss, done, err := s.openUpload(r, r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	defer done()
	if err := s.receiveRound(w, r, ss, k); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleReceiveArchive(w http.ResponseWriter, r *http.Request) {
	ss, done, err := s.openUpload(r, r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	defer done()
	if err := s.receiveArchive(w, r, ss); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// receiveRound stores round k under U/chain/rK.
func (s *Server) receiveRound(w http.ResponseWriter, r *http.Request, ss *session, k int) error {
	s.mu.Lock()
	prev := k == 1 || ss.rounds[k-1]
	s.mu.Unlock()
	if !prev {
		return statusErr(http.StatusConflict, fmt.Errorf("round %d arrived before round %d", k, k-1))
	}
	what := fmt.Sprintf("round %d", k)
	up, err := s.newUpload(w, r, ss.in.MaxRoundBytes, ss.chain, what, "max_round_bytes")
	if err != nil {
		return err
	}
	tmp, err := extractRound(up, ss.chain, k, s.cfg.Limits.MaxEntries)
	if err == nil {
		err = up.finish()
	}
	if err == nil {
		err = s.commitIfOpen(ss, func() error {
			if err := commitRound(ss.chain, tmp, k); err != nil {
				return err
			}
			ss.rounds[k] = true
			return nil
		})
	}
	if err != nil {
		os.RemoveAll(tmp)
		return up.status(err)
	}
	s.targetPhase(ss.in.ID, PhaseReceiving, func(r *Record) { r.Rounds = max(r.Rounds, k) })
	return nil
}

// commitIfOpen runs commit (which moves received data into place) only
// while ss is still this container's migration and open: an upload that
// outlived a Forget, a new announce or the start of the restore keeps
// nothing.
func (s *Server) commitIfOpen(ss *session, commit func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.incoming[ss.in.ID] != ss || ss.state != sessionOpen {
		return statusErr(http.StatusConflict, fmt.Errorf("the migration of %s ended or its restore started while this upload ran: nothing of it was kept", ss.in.ID[:12]))
	}
	return commit()
}

// receiveArchive stores the final checkpoint archive once it passed
// validateArchive. An archive that does not fails the migration.
func (s *Server) receiveArchive(w http.ResponseWriter, r *http.Request, ss *session) error {
	dir := filepath.Dir(ss.archive)
	up, err := s.newUpload(w, r, ss.in.MaxArchiveBytes, dir, "the checkpoint archive", "max_archive_bytes")
	if err != nil {
		return err
	}
	tmp, err := writeTemp(dir, ".checkpoint.tar-", up)
	if err == nil {
		err = up.finish()
	}
	if err != nil {
		os.Remove(tmp)
		return up.status(err)
	}
	s.mu.Lock()
	exp := archiveExpect{in: ss.in, rounds: copyRounds(ss.rounds), runRoot: ss.runRoot, maxEntries: s.cfg.Limits.MaxEntries}
	s.mu.Unlock()
	facts, err := validateArchive(tmp, exp)
	if err != nil {
		os.Remove(tmp)
		err = statusErr(http.StatusUnprocessableEntity, fmt.Errorf("checkpoint archive of %s refused, nothing of it will be restored: %w", ss.in.ID[:12], err))
		s.fail(ss, err)
		s.cfg.Log.Warn("refused a checkpoint archive", "container", ss.in.ID[:12], "from", clientName(r), "err", err)
		return err
	}
	err = s.commitIfOpen(ss, func() error {
		if err := commitFile(tmp, ss.archive); err != nil {
			return err
		}
		ss.archiveOK, ss.volumes = true, facts.volumes
		return nil
	})
	if err != nil {
		os.Remove(tmp)
		return err
	}
	s.targetPhase(ss.in.ID, PhaseArchiveReceived, nil)
	return nil
}

func copyRounds(m map[int]bool) map[int]bool {
	c := make(map[int]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// upload is a request body being received: capped, counted and hashed.
type upload struct {
	r         *http.Request
	body      io.Reader
	h         hash.Hash
	n, cap    int64
	what, key string
}

// newUpload admits a body of at most limit bytes (the announced cap named
// key) into dir's file system.
func (s *Server) newUpload(w http.ResponseWriter, r *http.Request, limit int64, dir, what, key string) (*upload, error) {
	if r.ContentLength > limit {
		return nil, statusErr(http.StatusRequestEntityTooLarge, fmt.Errorf("%s is %d bytes, more than the %d announced (%s)", what, r.ContentLength, limit, key))
	}
	need := uint64(limit)
	if r.ContentLength >= 0 {
		need = uint64(r.ContentLength)
	}
	free, err := s.freeSpace(dir)
	if err != nil {
		return nil, fmt.Errorf("free space of %s: %w", dir, err)
	}
	if free < need {
		return nil, statusErr(http.StatusInsufficientStorage, fmt.Errorf("not enough free space: %s may be up to %d bytes (%s) but only %d are free on the file system of %s: free space on the target",
			what, need, key, free, dir))
	}
	return &upload{r: r, body: http.MaxBytesReader(w, r.Body, limit), h: sha256.New(), cap: limit, what: what, key: key}, nil
}

func (u *upload) Read(p []byte) (int, error) {
	n, err := u.body.Read(p)
	u.h.Write(p[:n])
	u.n += int64(n)
	return n, err
}

// finish reads the rest of the body and checks it against the sender's
// length and digest trailers.
func (u *upload) finish() error {
	if _, err := io.Copy(io.Discard, u); err != nil {
		return err
	}
	length, digest := u.r.Trailer.Get(LengthTrailer), u.r.Trailer.Get(DigestTrailer)
	switch {
	case length == "" || digest == "":
		return statusErr(http.StatusBadRequest, fmt.Errorf("%s: the sender gave no %s and %s trailers (an older migrlab agent?): install the same migrlab on both hosts",
			u.what, LengthTrailer, DigestTrailer))
	case length != strconv.FormatInt(u.n, 10):
		return statusErr(http.StatusBadRequest, fmt.Errorf("%s: received %d bytes, the sender sent %s: the transfer was cut or altered", u.what, u.n, length))
	case digest != hex.EncodeToString(u.h.Sum(nil)):
		return statusErr(http.StatusBadRequest, fmt.Errorf("%s: SHA-256 of the %d bytes received differs from the sender's: the transfer was altered", u.what, u.n))
	}
	return nil
}

// status gives err the HTTP status of an upload failure.
func (u *upload) status(err error) error {
	var he httpError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return err
	case errors.As(err, &mb):
		return statusErr(http.StatusRequestEntityTooLarge, fmt.Errorf("%s exceeds the %d bytes announced (%s): refused", u.what, u.cap, u.key))
	case errors.Is(err, syscall.ENOSPC):
		return statusErr(http.StatusInsufficientStorage, fmt.Errorf("%s: %w", u.what, err))
	}
	return statusErr(http.StatusBadRequest, fmt.Errorf("%s: %w", u.what, err))
}

// statfsFree returns the bytes available to unprivileged users on the file
// system holding path.
func statfsFree(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// sameFS reports whether two existing paths are on one file system.
func sameFS(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 != nil || err2 != nil {
		return false
	}
	da, ok1 := sa.Sys().(*syscall.Stat_t)
	db, ok2 := sb.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && da.Dev == db.Dev
}
