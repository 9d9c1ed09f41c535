package agent

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Link measurement for calibration (package fidelity): the
// orchestrator asks the target agent for a sink token (POST /v1/calib/sink),
// then asks the source agent to measure the link to the target's private
// listener (POST /v1/calib/link): round trips of empty PUTs and one bulk PUT,
// over the same HTTP path and private link a migration's checkpoint data
// takes. The target discards what it receives.

// Limits of a link measurement.
const (
	// MaxLinkBytes bounds the bulk transfer of one link measurement.
	MaxLinkBytes = 1 << 30
	// MaxLinkPings bounds the round trips of one link measurement.
	MaxLinkPings = 1000
	// sinkTTL is how long a sink token stays valid.
	sinkTTL = 10 * time.Minute
)

// LinkRequest asks a source agent to measure the link to a target agent.
type LinkRequest struct {
	Send
	// Pings is the number of empty round trips (latency).
	Pings int `json:"pings"`
	// Bytes is the size of the bulk transfer (bandwidth).
	Bytes int64 `json:"bytes"`
}

// LinkReport is what a link measurement saw, on the source agent's clock.
type LinkReport struct {
	// RTTs are the round-trip times of the empty requests, in order.
	RTTs []time.Duration `json:"rtts_ns"`
	// Transfer is the bulk transfer (bytes on the wire, first byte to the
	// target's acknowledgement).
	Transfer Transfer `json:"transfer"`
}

// MedianRTT returns the median round-trip time (0 without samples).
func (r LinkReport) MedianRTT() time.Duration { return models.Median(r.RTTs) }

// sinks are the valid sink tokens of this process with their expiry.
var sinks = struct {
	sync.Mutex
	m map[string]time.Time
}{m: map[string]time.Time{}}

// handleNewSink issues a sink token.
func (s *Server) handleNewSink(w http.ResponseWriter, r *http.Request) {
	tok := newID() + newID()
	now := time.Now()
	sinks.Lock()
	for k, exp := range sinks.m {
		if now.After(exp) {
			delete(sinks.m, k)
		}
	}
	sinks.m[tok] = now.Add(sinkTTL)
	sinks.Unlock()
	writeJSON(w, struct {
		Token string `json:"token"`
	}{tok})
}

// validSink reports whether tok is a live sink token.
func validSink(tok string) bool {
	sinks.Lock()
	defer sinks.Unlock()
	for k, exp := range sinks.m {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			return time.Now().Before(exp)
		}
	}
	return false
}

// handleSink discards the request body of a holder of a sink token.
func (s *Server) handleSink(w http.ResponseWriter, r *http.Request) {
	if !validSink(r.Header.Get(TokenHeader)) {
		writeErr(w, statusErr(http.StatusForbidden, errors.New("no valid calibration sink token")))
		return
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, MaxLinkBytes+1<<20)); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleLink measures the link to req.Target.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request) {
	var req LinkRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Pings < 0 || req.Pings > MaxLinkPings || req.Bytes < 0 || req.Bytes > MaxLinkBytes {
		writeErr(w, statusErr(http.StatusBadRequest, fmt.Errorf("link: pings must be in [0, %d] and bytes in [0, %d]", MaxLinkPings, MaxLinkBytes)))
		return
	}
	rep, err := measureLink(r.Context(), s.peer, s.peerScheme(), req)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, rep)
}

// measureLink does the round trips, then the bulk transfer, to the sink.
func measureLink(ctx context.Context, client *http.Client, scheme string, req LinkRequest) (LinkReport, error) {
	var rep LinkReport
	url := scheme + "://" + req.Target + "/v1/calib/sink"
	put := func(body io.Reader, n int64) (time.Duration, error) {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPut, url, body)
		if err != nil {
			return 0, err
		}
		hr.ContentLength = n
		hr.Header.Set(TokenHeader, req.Token)
		start := time.Now()
		resp, err := client.Do(hr)
		if err != nil {
			return 0, fmt.Errorf("link to %s: %w", req.Target, err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		el := time.Since(start)
		if resp.StatusCode/100 != 2 {
			return el, fmt.Errorf("link to %s: %s", req.Target, errorText(resp.StatusCode, b))
		}
		return el, nil
	}
	// The first request opens the connection; it is not a round trip sample.
	if _, err := put(http.NoBody, 0); err != nil {
		return rep, err
	}
	for range req.Pings {
		d, err := put(http.NoBody, 0)
		if err != nil {
			return rep, err
		}
		rep.RTTs = append(rep.RTTs, d)
	}
	if req.Bytes > 0 {
		d, err := put(io.LimitReader(zeros{}, req.Bytes), req.Bytes)
		if err != nil {
			return rep, err
		}
		rep.Transfer = Transfer{Bytes: req.Bytes, Files: 1, Time: d}
	}
	return rep, nil
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

// NewSink asks this (target) agent for a calibration sink token.
func (c *Client) NewSink(ctx context.Context) (string, error) {
	var v struct {
		Token string `json:"token"`
	}
	return v.Token, c.do(ctx, http.MethodPost, "/v1/calib/sink", nil, &v)
}

// MeasureLink asks this (source) agent to measure the link to a target
// agent that issued req.Token with NewSink.
func (c *Client) MeasureLink(ctx context.Context, req LinkRequest) (LinkReport, error) {
	var v LinkReport
	return v, c.do(ctx, http.MethodPost, "/v1/calib/link", req, &v)
}
