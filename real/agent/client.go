package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/migrlab/migrlab/real/cpustat"
	"github.com/migrlab/migrlab/real/probe"
)

// DialFunc opens a connection to the agent, for example through an SSH
// client: func(ctx, network, addr) { return sshClient.Dial(network, addr) }.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Client talks to one agent's full API.
type Client struct {
	// Host names the agent's host in errors.
	Host string
	// Trace, when set, gets a line per request: its method, path, status
	// and time (migrlab -v).
	Trace io.Writer
	base  string
	http  *http.Client
	gate  *gate
}

// NewClient returns a client of the agent at addr (host:port as seen by dial,
// typically 127.0.0.1:7070 through an SSH tunnel) over plain HTTP, for an
// agent run with --insecure-no-tls (and tests). dial nil: a plain TCP dial.
func NewClient(host, addr string, dial DialFunc) *Client {
	return NewClientTLS(host, addr, dial, nil)
}

// NewClientTLS is NewClient over HTTPS with cfg (nil: plain HTTP): cfg
// presents the orchestrator's certificate and verifies the agent's against
// the testbed CA (mtls.Identity.ClientConfig).
func NewClientTLS(host, addr string, dial DialFunc, cfg *tls.Config) *Client {
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute,
		TLSClientConfig: cfg}
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second}).DialContext
	}
	g := &gate{conns: map[*gatedConn]bool{}}
	tr.DialContext = g.dial(dial)
	scheme := "http://"
	if cfg != nil {
		scheme = "https://"
	}
	return &Client{Host: host, base: scheme + addr, http: &http.Client{Transport: tr}, gate: g}
}

// Close closes idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// AgentError is an error the agent reported.
type AgentError struct {
	Host   string
	Op     string
	Status int
	Msg    string
}

func (e *AgentError) Error() string {
	return fmt.Sprintf("agent %s: %s: %s", e.Host, e.Op, e.Msg)
}

// do sends a request with an optional JSON body and decodes a JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	op := method + " " + path
	start := time.Now()
	resp, err := c.http.Do(req)
	if c.Trace != nil {
		status := "error"
		if err == nil {
			status = strconv.Itoa(resp.StatusCode)
		}
		fmt.Fprintf(c.Trace, "agent %s: %s -> %s in %s\n", c.Host, op, status, time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		return fmt.Errorf("agent %s: %s: %w", c.Host, op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("agent %s: %s: reading the answer: %w", c.Host, op, err)
	}
	if resp.StatusCode/100 != 2 {
		return &AgentError{Host: c.Host, Op: op, Status: resp.StatusCode, Msg: errorText(resp.StatusCode, b)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("agent %s: %s: answer: %w", c.Host, op, err)
		}
	}
	return nil
}

// Info returns facts about the agent's host.
func (c *Client) Info(ctx context.Context) (Info, error) {
	var v Info
	return v, c.do(ctx, http.MethodGet, "/v1/info", nil, &v)
}

// CPU returns the host's aggregate CPU times (package cpustat).
func (c *Client) CPU(ctx context.Context) (cpustat.Times, error) {
	var v cpustat.Times
	return v, c.do(ctx, http.MethodGet, "/v1/cpu", nil, &v)
}

// Pace times a fixed piece of CPU work on the host (GET /v1/pace), in seconds.
func (c *Client) Pace(ctx context.Context) (float64, error) {
	var v Pace
	err := c.do(ctx, http.MethodGet, "/v1/pace", nil, &v)
	return v.Seconds, err
}

// Create creates and starts a workload container.
func (c *Client) Create(ctx context.Context, w WorkloadSpec) (Container, error) {
	var v Container
	return v, c.do(ctx, http.MethodPost, "/v1/containers", w, &v)
}

// Inspect returns the container, or ok=false if the host has none by that name or ID.
func (c *Client) Inspect(ctx context.Context, nameOrID string) (v Container, ok bool, err error) {
	err = c.do(ctx, http.MethodGet, "/v1/containers/"+url.PathEscape(nameOrID), nil, &v)
	if ae, isAE := err.(*AgentError); isAE && ae.Status == http.StatusNotFound {
		return v, false, nil
	}
	return v, err == nil, err
}

// Remove removes the container (if it exists) and the migration files of it.
func (c *Client) Remove(ctx context.Context, nameOrID string) error {
	return c.do(ctx, http.MethodDelete, "/v1/containers/"+url.PathEscape(nameOrID), nil, nil)
}

// Dirty measures the container's soft-dirty memory; pid (0: look it up) is
// the container's PID in the host namespace.
func (c *Client) Dirty(ctx context.Context, id string, pid int) (Dirty, error) {
	var v Dirty
	return v, c.do(ctx, http.MethodGet, "/v1/containers/"+url.PathEscape(id)+"/dirty?pid="+strconv.Itoa(pid), nil, &v)
}

// Round runs a pre-dump round and sends it to the target.
func (c *Client) Round(ctx context.Context, id string, req RoundRequest) (RoundReport, error) {
	var v RoundReport
	return v, c.do(ctx, http.MethodPost, "/v1/containers/"+url.PathEscape(id)+"/rounds", req, &v)
}

// Checkpoint runs the final dump and sends it to the target.
func (c *Client) Checkpoint(ctx context.Context, id string, req CheckpointRequest) (CheckpointReport, error) {
	var v CheckpointReport
	return v, c.do(ctx, http.MethodPost, "/v1/containers/"+url.PathEscape(id)+"/checkpoint", req, &v)
}

// Rollback makes the container run on this (source) host again.
func (c *Client) Rollback(ctx context.Context, id string) (RollbackReport, error) {
	var v RollbackReport
	return v, c.do(ctx, http.MethodPost, "/v1/containers/"+url.PathEscape(id)+"/rollback", nil, &v)
}

// Announce tells this (target) agent that a migration will arrive.
func (c *Client) Announce(ctx context.Context, in Incoming) error {
	return c.do(ctx, http.MethodPost, "/v1/incoming", in, nil)
}

// Restore restores the announced container on this (target) host.
func (c *Client) Restore(ctx context.Context, id string) (RestoreReport, error) {
	var v RestoreReport
	return v, c.do(ctx, http.MethodPost, "/v1/incoming/"+url.PathEscape(id)+"/restore", nil, &v)
}

// Forget ends an incoming migration on this (target) host, removing received
// data and, with removeContainer, the container restored here.
func (c *Client) Forget(ctx context.Context, id string, removeContainer bool) error {
	return c.do(ctx, http.MethodDelete, "/v1/incoming/"+url.PathEscape(id)+"?remove="+strconv.FormatBool(removeContainer), nil, nil)
}

// Migrations returns the agent's records of the migrations it took part
// in that did not end consistently on its host (see Record). An agent too
// old to keep records answers none.
func (c *Client) Migrations(ctx context.Context) ([]Record, error) {
	var v []Record
	err := c.do(ctx, http.MethodGet, "/v1/migrations", nil, &v)
	if ae, ok := err.(*AgentError); ok && ae.Status == http.StatusNotFound {
		return nil, nil
	}
	return v, err
}

// StartProbe starts a probe monitor on the agent and returns its ID.
func (c *Client) StartProbe(ctx context.Context, req ProbeRequest) (string, error) {
	var v struct{ ID string }
	return v.ID, c.do(ctx, http.MethodPost, "/v1/probes", req, &v)
}

// ProbeAnswers returns what a probe monitor recorded so far.
func (c *Client) ProbeAnswers(ctx context.Context, id string) (ProbeResult, error) {
	var v ProbeResult
	return v, c.do(ctx, http.MethodGet, "/v1/probes/"+url.PathEscape(id), nil, &v)
}

// StopProbe stops a probe monitor and returns what it recorded.
func (c *Client) StopProbe(ctx context.Context, id string) (ProbeResult, error) {
	var v ProbeResult
	return v, c.do(ctx, http.MethodDelete, "/v1/probes/"+url.PathEscape(id), nil, &v)
}

// Probe sends one probe from the agent to addr.
func (c *Client) Probe(ctx context.Context, addr string) (probe.Reply, error) {
	var v probe.Reply
	return v, c.do(ctx, http.MethodPost, "/v1/probe?addr="+url.QueryEscape(addr), nil, &v)
}

// Verify asks the workload at addr, from the agent, to verify its memory.
func (c *Client) Verify(ctx context.Context, addr string) (probe.Reply, error) {
	var v probe.Reply
	return v, c.do(ctx, http.MethodPost, "/v1/verify?addr="+url.QueryEscape(addr), nil, &v)
}

// ErrCut is why a request to an agent fails while its client is cut off
// from it (Cut).
var ErrCut = errors.New("the orchestrator is cut off from this agent (injected fault)")

// Cut cuts the client off from its agent until Heal, as a network
// partition between the orchestrator and the agent's host would: its open
// connections are closed (requests in flight fail; the agent finishes
// what they started, see detached) and new ones are refused with ErrCut.
// The agents' private link is not touched. The fault target-unreachable
// uses it.
func (c *Client) Cut() {
	c.gate.mu.Lock()
	c.gate.cut = true
	conns := c.gate.conns
	c.gate.conns = map[*gatedConn]bool{}
	c.gate.mu.Unlock()
	for gc := range conns {
		gc.Conn.Close()
	}
	c.http.CloseIdleConnections()
}

// Heal ends a Cut: new connections are made again.
func (c *Client) Heal() {
	c.gate.mu.Lock()
	defer c.gate.mu.Unlock()
	c.gate.cut = false
}

// gate tracks a client's connections so that Cut can close them.
type gate struct {
	mu    sync.Mutex
	cut   bool
	conns map[*gatedConn]bool
}

func (g *gate) dial(dial DialFunc) DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		g.mu.Lock()
		cut := g.cut
		g.mu.Unlock()
		if cut {
			return nil, &net.OpError{Op: "dial", Net: network, Err: ErrCut}
		}
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		gc := &gatedConn{Conn: conn, g: g}
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.cut {
			conn.Close()
			return nil, &net.OpError{Op: "dial", Net: network, Err: ErrCut}
		}
		g.conns[gc] = true
		return gc, nil
	}
}

// gatedConn is a connection its gate can close.
type gatedConn struct {
	net.Conn
	g *gate
}

func (c *gatedConn) Close() error {
	c.g.mu.Lock()
	delete(c.g.conns, c)
	c.g.mu.Unlock()
	return c.Conn.Close()
}
