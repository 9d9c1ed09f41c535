package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

// maxProbeRun bounds a probe monitor that nobody stops.
const maxProbeRun = 2 * time.Hour

// probeRun is a probe monitor running on the agent.
type probeRun struct {
	m      *probe.Monitor
	cancel context.CancelFunc
	done   chan struct{}
}

func (p *probeRun) result() ProbeResult {
	return ProbeResult{Answers: p.m.Answers(), Stats: p.m.Stats()}
}

func (s *Server) handleProbeStart(w http.ResponseWriter, r *http.Request) {
	var req ProbeRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if len(req.Addrs) == 0 {
		writeErr(w, statusErr(http.StatusBadRequest, errors.New("probe: no addresses")))
		return
	}
	for _, a := range req.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			writeErr(w, statusErr(http.StatusBadRequest, fmt.Errorf("probe address %q: %w", a, err)))
			return
		}
	}
	m := probe.NewMonitor(req.Addrs...)
	m.Interval, m.Timeout = req.Interval, req.Timeout
	if req.Spec != nil && !req.Spec.Empty() {
		m.Spec = req.Spec
	}
	ctx, cancel := context.WithTimeout(context.Background(), maxProbeRun)
	p := &probeRun{m: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		m.Run(ctx)
	}()
	id := newID()
	s.mu.Lock()
	s.probes[id] = p
	s.mu.Unlock()
	writeJSON(w, map[string]string{"id": id})
}

func (s *Server) probeRun(id string) (*probeRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.probes[id]
	if p == nil {
		return nil, statusErr(http.StatusNotFound, fmt.Errorf("no probe monitor %s", id))
	}
	return p, nil
}

func (s *Server) handleProbeGet(w http.ResponseWriter, r *http.Request) {
	p, err := s.probeRun(r.PathValue("pid"))
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, p.result())
}

func (s *Server) handleProbeStop(w http.ResponseWriter, r *http.Request) {
	p, err := s.probeRun(r.PathValue("pid"))
	if err != nil {
		writeErr(w, err)
		return
	}
	s.mu.Lock()
	delete(s.probes, r.PathValue("pid"))
	s.mu.Unlock()
	p.cancel()
	<-p.done
	writeJSON(w, p.result())
}

func (s *Server) stopProbes() {
	s.mu.Lock()
	ps := s.probes
	s.probes = map[string]*probeRun{}
	s.mu.Unlock()
	for _, p := range ps {
		p.cancel()
		<-p.done
	}
}

// handleProbePause pauses (?paused=true) or resumes (false) the probing of
// ?addr= by a monitor; a pause returns once no probe of it is in flight.
func (s *Server) handleProbePause(w http.ResponseWriter, r *http.Request) {
	p, err := s.probeRun(r.PathValue("pid"))
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := p.m.Pause(r.URL.Query().Get("addr"), r.URL.Query().Get("paused") == "true"); err != nil {
		writeErr(w, statusErr(http.StatusBadRequest, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleProbeOnce sends one UDP probe to ?addr= and returns the reply; with
// a probe.Spec as the body, it probes an application with it instead (an
// empty reply when it answered).
func (s *Server) handleProbeOnce(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		var spec probe.Spec
		if err := readJSON(r, &spec); err != nil {
			writeErr(w, err)
			return
		}
		if !spec.Empty() {
			ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
			defer cancel()
			if err := spec.Check(ctx, r.URL.Query().Get("addr")); err != nil {
				writeErr(w, statusErr(http.StatusBadGateway, err))
				return
			}
			writeJSON(w, probe.Reply{})
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	rep, err := probe.Probe(ctx, r.URL.Query().Get("addr"))
	if err != nil {
		writeErr(w, statusErr(http.StatusBadGateway, err))
		return
	}
	writeJSON(w, rep)
}

// handleVerify asks the workload at ?addr= to verify its memory (TCP).
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	rep, err := probe.Verify(ctx, r.URL.Query().Get("addr"))
	if err != nil {
		writeErr(w, statusErr(http.StatusBadGateway, err))
		return
	}
	writeJSON(w, rep)
}
