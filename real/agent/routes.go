package agent

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/migrlab/migrlab/testbed/mtls"
)

// route is one endpoint of the agent's API.
type route struct {
	// pattern is the http.ServeMux pattern ("METHOD /path/{wildcard}").
	pattern string
	// peer marks the endpoints a peer agent (a host certificate, or any
	// caller on a non-loopback listener) may reach: the transfers it
	// pushes data to. Everything else needs the orchestrator's
	// certificate on a loopback listener.
	peer    bool
	handler http.HandlerFunc
}

// routeTable is the whole API. The peer routes are exactly the transfer
// endpoints; a test enumerates the table and proves that a peer
// certificate reaches nothing else.
func (s *Server) routeTable() []route {
	return []route{
		{"PUT /v1/incoming/{id}/rounds/{k}", true, s.handleReceiveRound},
		{"PUT /v1/incoming/{id}/archive", true, s.handleReceiveArchive},
		{"PUT /v1/calib/sink", true, s.handleSink},

		{"GET /v1/info", false, s.handleInfo},
		{"GET /v1/cpu", false, s.handleCPU},
		{"GET /v1/pace", false, s.handlePace},
		{"POST /v1/containers", false, s.handleCreate},
		{"GET /v1/containers/{id}", false, s.handleInspect},
		{"DELETE /v1/containers/{id}", false, s.handleRemove},
		{"GET /v1/containers/{id}/dirty", false, s.handleDirty},
		{"POST /v1/containers/{id}/dirtying", false, s.handleDirtying},
		{"POST /v1/containers/{id}/rounds", false, s.handleRound},
		{"POST /v1/containers/{id}/checkpoint", false, s.handleCheckpoint},
		{"POST /v1/containers/{id}/rollback", false, s.handleRollback},
		{"POST /v1/incoming", false, s.handleAnnounce},
		{"POST /v1/incoming/{id}/restore", false, s.handleRestore},
		{"DELETE /v1/incoming/{id}", false, s.handleForget},
		{"POST /v1/probes", false, s.handleProbeStart},
		{"GET /v1/probes/{pid}", false, s.handleProbeGet},
		{"DELETE /v1/probes/{pid}", false, s.handleProbeStop},
		{"POST /v1/probe", false, s.handleProbeOnce},
		{"POST /v1/verify", false, s.handleVerify},
		{"POST /v1/probes/{pid}/pause", false, s.handleProbePause},
		{"POST /v1/exec", false, s.handleExec},
		{"POST /v1/jobs", false, s.handleJobStart},
		{"GET /v1/jobs/{jid}", false, s.handleJobGet},
		{"POST /v1/jobs/{jid}/pause", false, s.handleJobPause},
		{"POST /v1/jobs/{jid}/resume", false, s.handleJobResume},
		{"DELETE /v1/jobs/{jid}", false, s.handleJobStop},
		{"GET /v1/image", false, s.handleImage},
		{"POST /v1/images", false, s.handleLoadImage},
		{"POST /v1/images/pull", false, s.handlePullImage},
		{"POST /v1/calib/sink", false, s.handleNewSink},
		{"POST /v1/calib/link", false, s.handleLink},
		{"GET /v1/migrations", false, s.handleRecords},
	}
}

// routes is the API: all of it when full, else only the peer routes.
func (s *Server) routes(full bool) *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		if full || rt.peer {
			mux.HandleFunc(rt.pattern, rt.handler)
		}
	}
	return mux
}

// AuthHandler is the API of a TLS listener: requests are routed by the role
// of the client certificate (package mtls). The orchestrator's certificate
// gets the full API when loopback; a host certificate (a peer agent), or the
// orchestrator's on another listener, gets only the endpoints that
// Handler(false) serves; anything else is refused with 403.
func (s *Server) AuthHandler(loopback bool) http.Handler {
	full, peer := s.routes(true), s.routes(false)
	return s.logged(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := clientRole(r)
		switch {
		case role == mtls.RoleOrchestrator && loopback:
			full.ServeHTTP(w, r)
		case role == mtls.RoleOrchestrator || role == mtls.RoleHost:
			if _, pattern := peer.Handler(r); pattern == "" {
				writeErr(w, statusErr(http.StatusForbidden, fmt.Errorf("%s %s is not open to a %s certificate on this listener "+
					"(the full API needs the orchestrator's certificate on loopback)", r.Method, r.URL.Path, role)))
				return
			}
			peer.ServeHTTP(w, r)
		default:
			writeErr(w, statusErr(http.StatusForbidden, errors.New("the client certificate has no migrlab role")))
		}
	}))
}

// clientRole is the role of the request's verified client certificate ("" without one).
func clientRole(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return mtls.Role(r.TLS.PeerCertificates[0])
}

// clientName is the common name of the request's verified client
// certificate ("" without one).
func clientName(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return ""
	}
	return r.TLS.PeerCertificates[0].Subject.CommonName
}

// Handler returns the agent's HTTP API without authentication: all of it
// when full, else only the transfer endpoints a peer agent pushes checkpoint
// data to. Serve uses it only with Config.Insecure (on a 0600 unix socket);
// with TLS it serves AuthHandler.
func (s *Server) Handler(full bool) http.Handler { return s.logged(s.routes(full)) }

// logged logs method, path, status and duration of every request (never
// bodies) and bounds how long a request body may stall (Limits.BodyIdle).
func (s *Server) logged(h http.Handler) http.Handler {
	h = idleBodies(h, s.cfg.Limits.BodyIdle)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"took", time.Since(start).Round(time.Millisecond).String(), "from", r.RemoteAddr}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			c := r.TLS.PeerCertificates[0]
			attrs = append(attrs, "client", c.Subject.CommonName, "role", mtls.Role(c))
		}
		s.cfg.Log.Info("request", attrs...)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
