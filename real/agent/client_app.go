package agent

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/migrlab/migrlab/real/probe"
)

// ProbeApp probes the application at addr once from the agent with spec
// (nil error: it answered).
func (c *Client) ProbeApp(ctx context.Context, addr string, spec probe.Spec) error {
	return c.do(ctx, http.MethodPost, "/v1/probe?addr="+url.QueryEscape(addr), spec, nil)
}

// PauseProbe pauses (or, with paused false, resumes) the probing of addr by
// monitor id; a pause returns once no probe of addr is in flight.
func (c *Client) PauseProbe(ctx context.Context, id, addr string, paused bool) error {
	return c.do(ctx, http.MethodPost, "/v1/probes/"+url.PathEscape(id)+"/pause?addr="+url.QueryEscape(addr)+
		"&paused="+strconv.FormatBool(paused), nil, nil)
}

// Exec runs a shell command on the agent's host.
func (c *Client) Exec(ctx context.Context, req ExecRequest) (ExecResult, error) {
	var v ExecResult
	return v, c.do(ctx, http.MethodPost, "/v1/exec", req, &v)
}

// StartJob starts a load on the agent's host.
func (c *Client) StartJob(ctx context.Context, req JobRequest) (Job, error) {
	var v Job
	return v, c.do(ctx, http.MethodPost, "/v1/jobs", req, &v)
}

// PauseJob pauses a load (see PauseRequest).
func (c *Client) PauseJob(ctx context.Context, id string, req PauseRequest) (JobStatus, error) {
	var v JobStatus
	return v, c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/pause", req, &v)
}

// ResumeJob resumes a paused load (see ResumeRequest).
func (c *Client) ResumeJob(ctx context.Context, id string, req ResumeRequest) (JobStatus, error) {
	var v JobStatus
	return v, c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/resume", req, &v)
}

// JobStatus returns what a load did so far.
func (c *Client) JobStatus(ctx context.Context, id string) (JobStatus, error) {
	var v JobStatus
	return v, c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, &v)
}

// StopJob stops a load and returns what it did.
func (c *Client) StopJob(ctx context.Context, id string) (JobStatus, error) {
	var v JobStatus
	return v, c.do(ctx, http.MethodDelete, "/v1/jobs/"+url.PathEscape(id), nil, &v)
}

// Image reports whether the host has the image name, and its ID.
func (c *Client) Image(ctx context.Context, name string) (ImageInfo, error) {
	var v ImageInfo
	return v, c.do(ctx, http.MethodGet, "/v1/image?name="+url.QueryEscape(name), nil, &v)
}

// PullImage has the agent pull the image from its registry (podman pull).
func (c *Client) PullImage(ctx context.Context, name string) (ImageInfo, error) {
	var v ImageInfo
	return v, c.do(ctx, http.MethodPost, "/v1/images/pull?name="+url.QueryEscape(name), nil, &v)
}

// LoadImage uploads an image archive of size bytes to the agent, which
// loads it with podman load.
func (c *Client) LoadImage(ctx context.Context, r io.Reader, size int64) (LoadReport, error) {
	var v LoadReport
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/images", r)
	if err != nil {
		return v, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/x-tar")
	const op = "POST /v1/images"
	resp, err := c.http.Do(req)
	if err != nil {
		return v, fmt.Errorf("agent %s: %s: %w", c.Host, op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return v, fmt.Errorf("agent %s: %s: reading the answer: %w", c.Host, op, err)
	}
	if resp.StatusCode/100 != 2 {
		return v, &AgentError{Host: c.Host, Op: op, Status: resp.StatusCode, Msg: errorText(resp.StatusCode, b)}
	}
	if err := jsonUnmarshal(b, &v); err != nil {
		return v, fmt.Errorf("agent %s: %s: answer: %w", c.Host, op, err)
	}
	return v, nil
}
