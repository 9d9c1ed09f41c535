package agent

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/migrlab/migrlab/real/cpustat"
	"github.com/migrlab/migrlab/real/pace"
	"github.com/migrlab/migrlab/real/softdirty"
)

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	info := Info{Version: s.cfg.Version}
	info.Hostname, _ = os.Hostname()
	var u syscall.Utsname
	if syscall.Uname(&u) == nil {
		info.Kernel = utsString(u.Release[:])
	}
	var err error
	if info.Podman, err = s.pod.version(r.Context()); err != nil {
		writeErr(w, err)
		return
	}
	info.CRIU = firstLineOf(r.Context(), "criu", "--version")
	info.Runc = firstLineOf(r.Context(), s.cfg.Runc, "--version")
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled"); err == nil {
		if i, j := strings.IndexByte(string(b), '['), strings.IndexByte(string(b), ']'); i >= 0 && j > i {
			info.THP = string(b)[i+1 : j]
		}
	}
	info.SoftDirty, _ = softdirty.Supported()
	info.Now = time.Now()
	writeJSON(w, info)
}

// handleCPU returns the host's aggregate CPU times (GET /v1/cpu): the
// orchestrator reads them before and after a migration, for the guest's
// busy and stolen shares over it (the run guard's load in the guests). Own
// is the CPU time of the migration's own groups (ownGroups) where cgroup v2
// counts them: busy time beyond it is other work in the guest.
func (s *Server) handleCPU(w http.ResponseWriter, r *http.Request) {
	t, ok := cpustat.Read(cpustat.ProcStat)
	if !ok {
		writeErr(w, statusErr(http.StatusNotImplemented, fmt.Errorf("%s has no aggregate cpu line", cpustat.ProcStat)))
		return
	}
	t.Own, _ = cpustat.ReadOwn(cgroupRoot, ownGroups(selfCgroup))
	writeJSON(w, t)
}

// Pace is a host's pace: the seconds it took for package pace's fixed work.
type Pace struct {
	Seconds float64 `json:"seconds"`
}

// handlePace times package pace's fixed work on this host (about 0.15 s in
// all under TCG).
func (s *Server) handlePace(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, Pace{Seconds: pace.Measure()})
}

// selfCgroup is where the agent finds its own cgroup.
const selfCgroup = "/proc/self/cgroup"

// ownGroups are the cgroups whose CPU time belongs to the migrations and
// their workloads on this host: podman's containers and their conmon
// (machine.slice, under the systemd cgroup manager), podman's API service,
// which runs runc and CRIU for the agent, and the agent's own group (the
// commands it runs itself). Nil when the agent's group is unknown.
func ownGroups(procCgroup string) []string {
	self, ok := cpustat.SelfCgroup(procCgroup)
	if !ok {
		return nil
	}
	groups := []string{"machine.slice", "system.slice/podman.service"}
	for _, g := range groups {
		if self == g || strings.HasPrefix(self, g+"/") {
			return groups // counted already
		}
	}
	if self == "" || self == "/" || strings.HasPrefix(self, "user.slice") {
		// The root, or a login session: its other processes are not the agent's.
		return groups
	}
	return append(groups, self)
}

func utsString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

// firstLineOf runs a version command and returns its first line ("" on error).
func firstLineOf(ctx context.Context, name string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var spec WorkloadSpec
	if err := readJSON(r, &spec); err != nil {
		writeErr(w, err)
		return
	}
	c, err := s.pod.create(r.Context(), spec)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, c)
}

// container inspects the request's {id}, failing with 404 when it is absent.
func (s *Server) container(r *http.Request) (Container, error) {
	c, ok, err := s.pod.inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		return c, err
	}
	if !ok {
		return c, statusErr(http.StatusNotFound, fmt.Errorf("no container %s on this host", r.PathValue("id")))
	}
	return c, nil
}

func (s *Server) handleInspect(w http.ResponseWriter, r *http.Request) {
	c, err := s.container(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, c)
}

// handleRemove removes a container and the migration files on this host.
func (s *Server) handleRemove(w http.ResponseWriter, r *http.Request) {
	c, ok, err := s.pod.inspect(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	if ok {
		defer s.lock(c.ID)()
		if err := s.cleanSource(c); err != nil {
			writeErr(w, err)
			return
		}
		if err := s.pod.remove(r.Context(), c.ID); err != nil {
			writeErr(w, err)
			return
		}
	} else {
		c.ID = r.PathValue("id")
	}
	// No copy and no migration files of it are left here: whatever this
	// host's part in its migration was, it ended.
	s.forgetRecords(c.ID, RoleSource, RoleTarget)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleDirty(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pid, _ := strconv.Atoi(r.URL.Query().Get("pid"))
	if pid <= 0 || !pidInContainer(pid, id) {
		c, err := s.container(r)
		if err != nil {
			writeErr(w, err)
			return
		}
		if !c.Running || c.PID == 0 {
			writeErr(w, statusErr(http.StatusConflict, fmt.Errorf("container %s is %s, not running", c.Name, c.State)))
			return
		}
		pid = c.PID
	}
	start := time.Now()
	res, err := softdirty.Scan(pid)
	if err != nil {
		writeErr(w, fmt.Errorf("soft-dirty scan of pid %d: %w", pid, err))
		return
	}
	writeJSON(w, Dirty{Pages: res.Total.Dirty + res.Total.DirtySwapped, Resident: res.Total.Present + res.Total.Swapped,
		PageSize: os.Getpagesize(), Took: time.Since(start)})
}

// pidInContainer checks that pid belongs to container id (by its cgroup), so
// a cached PID is not used after it was reused by another process.
func pidInContainer(pid int, id string) bool {
	if len(id) < 12 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	return err == nil && strings.Contains(string(b), id)
}

func (s *Server) handleRound(w http.ResponseWriter, r *http.Request) {
	var req RoundRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	queued := time.Now()
	c, err := s.container(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer s.lock(c.ID)()
	q := time.Since(queued)
	ctx, cancel := detached(r)
	defer cancel()
	s.sourceRecord(c, req.Send, PhasePreDumping, func(rec *Record) { rec.Rounds = req.Round - 1 })
	rep, err := s.preDump(ctx, c, req)
	rep.Queued = q
	if err != nil {
		s.sourceRecord(c, req.Send, PhasePreDumping, func(rec *Record) { rec.Detail = err.Error() })
		writeErr(w, err)
		return
	}
	s.sourceRecord(c, req.Send, PhaseRoundsSent, func(rec *Record) { rec.Rounds = req.Round })
	writeJSON(w, rep)
}

func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	queued := time.Now()
	var req CheckpointRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	c, err := s.container(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer s.lock(c.ID)()
	ctx, cancel := detached(r)
	defer cancel()
	s.sourceRecord(c, req.Send, PhaseCheckpointing, func(rec *Record) { rec.Rounds = req.Rounds })
	rep, err := s.finalDump(ctx, c, req, queued)
	if err != nil {
		// The phase stays what finalDump reached (checkpointing or
		// checkpointed): the rollback or a recovery acts on it.
		s.record(RoleSource, c.ID, false, func(rec *Record) { rec.Detail = err.Error() })
		writeErr(w, err)
		return
	}
	s.sourceRecord(c, req.Send, PhaseArchiveSent, nil)
	writeJSON(w, rep)
}

func (s *Server) handleRollback(w http.ResponseWriter, r *http.Request) {
	c, err := s.container(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer s.lock(c.ID)()
	// A checkpoint of this container may have ended while we waited for the
	// lock: roll back from its state now.
	c, ok, err := s.pod.inspect(r.Context(), c.ID)
	if err == nil && !ok {
		err = statusErr(http.StatusNotFound, fmt.Errorf("container %s is gone", r.PathValue("id")))
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	rep, err := s.rollback(r.Context(), c)
	if err != nil {
		s.record(RoleSource, c.ID, false, func(rec *Record) { rec.Detail = "rollback: " + err.Error() })
		writeErr(w, err)
		return
	}
	// It runs here again: this host's part of the migration ended.
	s.forgetRecords(c.ID, RoleSource)
	writeJSON(w, rep)
}

func (s *Server) handleAnnounce(w http.ResponseWriter, r *http.Request) {
	var in Incoming
	if err := readJSON(r, &in); err != nil {
		writeErr(w, err)
		return
	}
	if idRE.MatchString(in.ID) {
		defer s.lock(in.ID)()
	}
	if err := s.announce(r.Context(), in); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	defer s.lock(id)()
	ctx, cancel := detached(r)
	defer cancel()
	rep, err := s.restore(ctx, id)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, rep)
}

func (s *Server) handleForget(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	defer s.lock(id)()
	if err := s.forget(r.Context(), id, r.URL.Query().Get("remove") == "true"); err != nil {
		s.record(RoleTarget, id, false, func(rec *Record) { rec.Detail = "forget: " + err.Error() })
		writeErr(w, err)
		return
	}
	// The orchestrator ended the migration here (finished or rolled back);
	// the agent's own forget (restart, expiry) keeps the record.
	s.forgetRecords(id, RoleTarget)
	w.WriteHeader(http.StatusNoContent)
}

// detached returns the context of a migration step (pre-dump, final dump,
// restore): it is not cancelled when the caller goes away. A CRIU dump or
// restore cancelled half-way leaves a container whose state nobody knows;
// run to its end, the step leaves a state the rollback (which waits for the
// container's lock) or a later recovery can act on. Bounded by
// MaxStepTime.
func detached(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), MaxStepTime)
}

// MaxStepTime bounds a migration step on the agent.
var MaxStepTime = 30 * time.Minute
