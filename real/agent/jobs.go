package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

// Hooks of an application (a scenario's app.load and app.check) run on the
// source host, through its agent: a check as one command (POST /v1/exec),
// a load as a job (POST /v1/jobs) that reaches the service through a relay
// on the agent's loopback, so that it follows the service when the
// orchestrator switches the relay's backend to the target.

// DefaultExecTimeout and MaxExecTimeout bound a command run by Exec.
const (
	DefaultExecTimeout = 2 * time.Minute
	MaxExecTimeout     = 30 * time.Minute
)

// ExecRequest runs a shell command (/bin/sh -c) on the agent's host.
type ExecRequest struct {
	Cmd string `json:"cmd"`
	// Addr is the service's address, given to the command as $ADDR, $HOST
	// and $PORT (optional).
	Addr string `json:"addr,omitempty"`
	// Timeout (default DefaultExecTimeout, at most MaxExecTimeout).
	Timeout time.Duration `json:"timeout_ns,omitempty"`
}

// ExecResult is what the command did. A command that ran and failed is a
// result (ExitCode != 0, Error set), not a failed request.
type ExecResult struct {
	Stdout   string        `json:"stdout"`
	Stderr   string        `json:"stderr"`
	ExitCode int           `json:"exit_code"`
	Took     time.Duration `json:"took_ns"`
	Error    string        `json:"error,omitempty"`
}

func (s *Server) handleExec(w http.ResponseWriter, r *http.Request) {
	var req ExecRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if strings.TrimSpace(req.Cmd) == "" {
		writeErr(w, statusErr(http.StatusBadRequest, errors.New("exec: no command")))
		return
	}
	if req.Timeout <= 0 {
		req.Timeout = DefaultExecTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), min(req.Timeout, MaxExecTimeout))
	defer cancel()
	res, err := probe.RunShell(ctx, req.Cmd, req.Addr, nil)
	out := ExecResult{Stdout: res.Stdout, Stderr: res.Stderr, ExitCode: res.ExitCode, Took: res.Took}
	if err != nil {
		out.Error = err.Error()
	}
	writeJSON(w, out)
}

// JobRequest starts a load: a shell command that runs until stopped, with
// $ADDR, $HOST and $PORT naming a relay on the agent's loopback that
// forwards to Backend (the service's address).
type JobRequest struct {
	Cmd     string `json:"cmd"`
	Backend string `json:"backend"`
}

// Job is a started load.
type Job struct {
	ID string `json:"id"`
	// Relay is the address the command reaches the service at.
	Relay string `json:"relay"`
}

// JobStatus is what a load did so far.
type JobStatus struct {
	Running bool `json:"running"`
	Paused  bool `json:"paused"`
	// ExitCode once it ended (-1 while it runs, or when it was killed).
	ExitCode int `json:"exit_code"`
	// Output is the end of what it printed (stdout and stderr).
	Output string     `json:"output"`
	Relay  RelayStats `json:"relay"`
}

// jobTable holds the agent's loads (the zero value is empty).
type jobTable struct {
	mu   sync.Mutex
	jobs map[string]*job
}

type job struct {
	cmd    *exec.Cmd
	relay  *relay
	out    *tail
	done   chan struct{}
	mu     sync.Mutex
	paused bool
}

func (t *jobTable) get(id string) (*job, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j := t.jobs[id]
	if j == nil {
		return nil, statusErr(http.StatusNotFound, fmt.Errorf("no job %s", id))
	}
	return j, nil
}

func (t *jobTable) stopAll() {
	t.mu.Lock()
	js := t.jobs
	t.jobs = nil
	t.mu.Unlock()
	for _, j := range js {
		j.stop()
	}
}

func (s *Server) handleJobStart(w http.ResponseWriter, r *http.Request) {
	var req JobRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if strings.TrimSpace(req.Cmd) == "" {
		writeErr(w, statusErr(http.StatusBadRequest, errors.New("job: no command")))
		return
	}
	if _, _, err := net.SplitHostPort(req.Backend); err != nil {
		writeErr(w, statusErr(http.StatusBadRequest, fmt.Errorf("job: backend %q: %w", req.Backend, err)))
		return
	}
	rl, err := newRelay(req.Backend)
	if err != nil {
		writeErr(w, err)
		return
	}
	j := &job{relay: rl, out: &tail{max: 8 << 10}, done: make(chan struct{})}
	j.cmd = exec.Command("/bin/sh", "-c", req.Cmd)
	j.cmd.Env = append(os.Environ(), probe.AddrEnv(rl.Addr())...)
	j.cmd.Stdout, j.cmd.Stderr = j.out, j.out
	j.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := j.cmd.Start(); err != nil {
		rl.close()
		writeErr(w, fmt.Errorf("job %q: %w", req.Cmd, err))
		return
	}
	go func() {
		j.cmd.Wait()
		close(j.done)
	}()
	id := newID()
	s.jobs.mu.Lock()
	if s.jobs.jobs == nil {
		s.jobs.jobs = map[string]*job{}
	}
	s.jobs.jobs[id] = j
	s.jobs.mu.Unlock()
	writeJSON(w, Job{ID: id, Relay: rl.Addr()})
}

// PauseRequest pauses a load: its processes are stopped (SIGSTOP), the
// relay's connections closed and new ones held; the request returns Settle
// (default 500 ms) later, so that what the load sent has reached the
// service.
type PauseRequest struct {
	Settle time.Duration `json:"settle_ns,omitempty"`
}

// ResumeRequest resumes a paused load, forwarding to Backend from now on
// when it is set.
type ResumeRequest struct {
	Backend string `json:"backend,omitempty"`
}

func (s *Server) handleJobPause(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobs.get(r.PathValue("jid"))
	if err != nil {
		writeErr(w, err)
		return
	}
	var req PauseRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Settle <= 0 {
		req.Settle = 500 * time.Millisecond
	}
	j.mu.Lock()
	j.paused = true
	j.signal(syscall.SIGSTOP)
	j.mu.Unlock()
	j.relay.pause()
	t := time.NewTimer(min(req.Settle, time.Minute))
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
	writeJSON(w, j.status())
}

func (s *Server) handleJobResume(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobs.get(r.PathValue("jid"))
	if err != nil {
		writeErr(w, err)
		return
	}
	var req ResumeRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Backend != "" {
		if _, _, err := net.SplitHostPort(req.Backend); err != nil {
			writeErr(w, statusErr(http.StatusBadRequest, fmt.Errorf("job: backend %q: %w", req.Backend, err)))
			return
		}
	}
	j.relay.resume(req.Backend)
	j.mu.Lock()
	j.paused = false
	j.signal(syscall.SIGCONT)
	j.mu.Unlock()
	writeJSON(w, j.status())
}

func (s *Server) handleJobGet(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobs.get(r.PathValue("jid"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, j.status())
}

func (s *Server) handleJobStop(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("jid")
	j, err := s.jobs.get(id)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.jobs.mu.Lock()
	delete(s.jobs.jobs, id)
	s.jobs.mu.Unlock()
	j.stop()
	writeJSON(w, j.status())
}

// signal sends sig to the job's process group.
func (j *job) signal(sig syscall.Signal) {
	if j.cmd.Process != nil {
		syscall.Kill(-j.cmd.Process.Pid, sig)
	}
}

// stop ends the job's process group (SIGTERM, SIGKILL after 3 s) and its relay.
func (j *job) stop() {
	j.signal(syscall.SIGTERM)
	j.signal(syscall.SIGCONT)
	select {
	case <-j.done:
	case <-time.After(3 * time.Second):
		j.signal(syscall.SIGKILL)
		<-j.done
	}
	j.relay.close()
}

func (j *job) status() JobStatus {
	st := JobStatus{Running: true, ExitCode: -1, Output: j.out.String(), Relay: j.relay.stats()}
	select {
	case <-j.done:
		st.Running = false
		st.ExitCode = j.cmd.ProcessState.ExitCode()
	default:
	}
	j.mu.Lock()
	st.Paused = j.paused
	j.mu.Unlock()
	return st
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
