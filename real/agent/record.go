package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/migrlab/migrlab/testbed"
)

// Each agent keeps a small record of every migration it takes part in,
// like libvirt's and LXD's per-host migration state: its role, its peer and
// the phase as this agent knows it. The orchestrator's journal (on the
// operator's machine) stays the primary account of a migration; the
// records are what `migrlab recover` reads when that journal is gone (the
// machine was lost, the testbed's state directory recreated). A record is
// written atomically (temporary file, fsync, rename, directory fsync) at
// every phase under StateDir/migrations, survives the agent's restarts,
// and is removed when the migration ends consistently on this host (the
// target's Forget, the source's Remove or Rollback), or when it was not
// updated for RecordTTL.

// Roles of an agent in a migration (Record.Role).
const (
	RoleSource = "source"
	RoleTarget = "target"
)

// Record phases, as the agent knows them.
const (
	// Target: announced, nothing received yet.
	PhaseAnnounced = "announced"
	// Target: Record.Rounds pre-dump rounds received.
	PhaseReceiving = "receiving"
	// Target: the final archive was received and validated.
	PhaseArchiveReceived = "archive received"
	// Target: podman's restore runs (a copy may appear here).
	PhaseRestoring = "restoring"
	// Target: the restored copy runs here.
	PhaseRestored = "restored"
	// Target: an archive was refused or the restore failed; what it created
	// was removed (Record.Detail says why).
	PhaseFailed = "failed"
	// Source: pre-dump round Record.Rounds+1 runs (the container runs here).
	PhasePreDumping = "pre-dumping"
	// Source: Record.Rounds pre-dump rounds dumped and sent.
	PhaseRoundsSent = "rounds sent"
	// Source: podman's checkpoint runs: the container is frozen.
	PhaseCheckpointing = "checkpointing"
	// Source: checkpointed: the container is stopped, its checkpoint kept
	// here; the archive goes to the target.
	PhaseCheckpointed = "checkpointed"
	// Source: checkpointed, and the archive was sent to the target.
	PhaseArchiveSent = "archive sent"
)

// recordsDir is the records' directory in StateDir.
const recordsDir = "migrations"

// RecordTTL is how long a record lives without an update: a migration
// nobody recovered in that time is not recovered from it.
var RecordTTL = 7 * 24 * time.Hour

// Origin is who runs a migration and between which hosts, as the
// orchestrator tells the agents (Incoming.Origin, Send.Origin) for their
// records. Optional: an agent records what it knows without it.
type Origin struct {
	// Source and Target are the testbed names of the two hosts.
	Source string `json:"source"`
	Target string `json:"target"`
	// Orchestrator is the host name of the machine that runs the
	// migration and PID its process.
	Orchestrator string `json:"orchestrator"`
	PID          int    `json:"pid"`
	// SourceAddr and TargetAddr are the workload's probe addresses
	// (host:port) on the two hosts ("" when unknown).
	SourceAddr string `json:"source_addr,omitempty"`
	TargetAddr string `json:"target_addr,omitempty"`
	// Started is when the orchestrator started the migration.
	Started time.Time `json:"started"`
}

// Record is an agent's account of one migration it takes part in.
type Record struct {
	// ID and Name are the migrated container's.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Role is this agent's: RoleSource or RoleTarget.
	Role string `json:"role"`
	// Peer is the other host: its testbed name, else its address.
	Peer string `json:"peer"`
	// Origin is what the orchestrator told (zero when it told nothing).
	Origin Origin `json:"origin"`
	// Phase is the last phase this agent saw (Phase* constants); Rounds
	// the pre-dump rounds dumped (source) or received (target).
	Phase  string `json:"phase"`
	Rounds int    `json:"rounds"`
	// Detail says why the last step failed ("" when it did not).
	Detail string `json:"detail,omitempty"`
	// Created and Updated are the agent's clock.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// records is an agent's store of Records: one JSON file per container
// and role in dir.
type records struct {
	dir string
	mu  sync.Mutex
}

func (rs *records) path(role, id string) string {
	return filepath.Join(rs.dir, role+"-"+id+".json")
}

func (rs *records) read(role, id string) (Record, bool) {
	b, err := os.ReadFile(rs.path(role, id))
	if err != nil {
		return Record{}, false
	}
	var r Record
	if json.Unmarshal(b, &r) != nil {
		return Record{}, false
	}
	return r, true
}

// put creates or rewrites the record of (role, id): f changes it (a new
// one has ID, Role and Created set). With create false an absent record is
// left absent (an upload that outlived a Forget must not bring it back).
func (rs *records) put(role, id string, create bool, f func(*Record)) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("record: %q is not a container ID", id)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	now := time.Now().UTC()
	r, ok := rs.read(role, id)
	if !ok {
		if !create {
			return nil
		}
		r = Record{ID: id, Role: role, Created: now}
	}
	f(&r)
	r.Updated = now
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return testbed.WriteFile(rs.path(role, id), b, fileMode)
}

// remove removes the records of id in roles.
func (rs *records) remove(id string, roles ...string) error {
	if !idRE.MatchString(id) {
		return nil
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var errs []error
	for _, role := range roles {
		if err := os.Remove(rs.path(role, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// list returns every record, oldest first, after removing those not
// updated for RecordTTL (and files that are not records).
func (rs *records) list(now time.Time) ([]Record, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	ents, err := os.ReadDir(rs.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []Record
	for _, de := range ents {
		n := de.Name()
		p := filepath.Join(rs.dir, n)
		if strings.HasPrefix(n, ".tmp-") {
			// A write that a crash interrupted; the record it replaced is whole.
			if info, err := de.Info(); err == nil && now.Sub(info.ModTime()) > time.Hour {
				os.Remove(p)
			}
			continue
		}
		role, rest, _ := strings.Cut(n, "-")
		id := strings.TrimSuffix(rest, ".json")
		if (role != RoleSource && role != RoleTarget) || !idRE.MatchString(id) || !strings.HasSuffix(n, ".json") {
			continue
		}
		r, ok := rs.read(role, id)
		if !ok || r.ID != id || r.Role != role {
			continue
		}
		if now.Sub(r.Updated) > RecordTTL {
			os.Remove(p)
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// record updates this agent's record of id in role (creating it when
// create); a record that cannot be written is logged, not fatal: the
// phase it would have said is also visible in the containers themselves.
func (s *Server) record(role, id string, create bool, f func(*Record)) {
	if !idRE.MatchString(id) {
		return
	}
	if err := s.records.put(role, id, create, f); err != nil {
		s.cfg.Log.Warn("writing the migration record", "container", id, "role", role, "err", err)
	}
}

// forgetRecords removes id's records in roles (the migration ended
// consistently on this host).
func (s *Server) forgetRecords(id string, roles ...string) {
	if err := s.records.remove(id, roles...); err != nil {
		s.cfg.Log.Warn("removing the migration record", "container", id, "err", err)
	}
}

// handleRecords lists the migrations this agent took part in that did not
// end consistently here (GET /v1/migrations): the orchestrator's API only.
func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request) {
	rs, err := s.records.list(time.Now())
	if err != nil {
		writeErr(w, err)
		return
	}
	if rs == nil {
		rs = []Record{}
	}
	writeJSON(w, rs)
}

// sourceRecord records that the source's container c enters phase (for a
// request that tells where its data goes).
func (s *Server) sourceRecord(c Container, send Send, phase string, f func(*Record)) {
	s.record(RoleSource, c.ID, true, func(r *Record) {
		r.Name, r.Phase, r.Detail = c.Name, phase, ""
		if send.Origin != nil {
			r.Origin = *send.Origin
		}
		r.Peer = firstNonEmpty(r.Origin.Target, send.Target, r.Peer)
		if f != nil {
			f(r)
		}
	})
}

// targetPhase records that the incoming migration of id enters phase (an
// absent record stays absent).
func (s *Server) targetPhase(id, phase string, f func(*Record)) {
	s.record(RoleTarget, id, false, func(r *Record) {
		r.Phase, r.Detail = phase, ""
		if f != nil {
			f(r)
		}
	})
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
