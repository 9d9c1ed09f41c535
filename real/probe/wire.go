// Package probe is the client side of the migrlab workload's probe protocol:
// single requests (Probe, Verify), a Monitor that probes the source and the
// target of a migration every few milliseconds, and the analysis of what it
// recorded (client-side downtime, continuity checks).
//
// # Wire format
//
// A request is one line of text, sent as a UDP datagram (a trailing newline is
// optional) or as a line on a TCP connection:
//
//	probe [ID]
//	verify [ID]
//
// ID is an optional unsigned decimal number that the reply echoes, so a client
// can match replies to requests. Every request gets exactly one reply: one JSON
// object on one line (see Reply), for example
//
//	{"id":7,"seq":42,"nonce":"9f1c2e0a5b7d3c11","writes":123456,"writes_ns":61230000000,"active_ns":61100000000,"sum":"0b1d...","uptime_ns":61234567890,"unix_ns":1700000000000000000}
//
// A verify reply adds "verify":{"writes":...,"incremental":"...","full":"...","match":true,"took_ns":...}.
// An unknown request gets a reply with "error" set. 64-bit hashes and the nonce
// are 16 lower-case hex digits in JSON strings so that no JSON reader rounds them.
package probe

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Request commands.
const (
	// CmdProbe asks for the counters and the incremental checksum; it is cheap.
	CmdProbe = "probe"
	// CmdVerify additionally recomputes the checksum over all of the workload's
	// memory (tens of milliseconds for 64 MiB; the workload stops dirtying meanwhile).
	CmdVerify = "verify"
)

// DefaultPort is the workload's default probe port (UDP and TCP).
const DefaultPort = 7000

// Hex64 is a 64-bit value written in JSON as a string of 16 hex digits.
type Hex64 uint64

// String returns the 16 hex digits of h.
func (h Hex64) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// MarshalJSON writes h as a quoted hex string.
func (h Hex64) MarshalJSON() ([]byte, error) { return []byte(`"` + h.String() + `"`), nil }

// UnmarshalJSON reads a quoted hex string.
func (h *Hex64) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hex64: %w", err)
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return fmt.Errorf("hex64: %q is not a 64-bit hex number", s)
	}
	*h = Hex64(v)
	return nil
}

// Reply is the workload's answer to one request.
type Reply struct {
	// ID echoes the request's ID (0 when the request had none).
	ID uint64 `json:"id,omitempty"`
	// Seq counts the answers the workload has given, this one included. It lives
	// in the workload's memory, so it continues across a migration.
	Seq uint64 `json:"seq"`
	// Nonce is a random number the workload chose when it started: the same
	// nonce after a migration means the process was restored, not restarted.
	Nonce Hex64 `json:"nonce"`
	// Writes is the number of page writes done so far.
	Writes uint64 `json:"writes"`
	// WritesNS is the uptime (see UptimeNS) at which the workload did its last
	// batch of writes: divide differences of Writes by differences of WritesNS
	// to measure the dirty rate without the jitter of the probe's timing.
	WritesNS int64 `json:"writes_ns"`
	// ActiveNS is the running time over which the workload paces its writes,
	// at its last batch of writes: the uptime minus the stretches longer than
	// ten ticks in which it did not run (frozen by a checkpoint, starved of
	// CPU), which are not made up. Unlike UptimeNS it stays meaningful across
	// a migration; Writes / ActiveNS is the configured rate.
	ActiveNS int64 `json:"active_ns"`
	// Sum is the incremental checksum of the memory after Writes writes.
	Sum Hex64 `json:"sum"`
	// UptimeNS is the time since the process started, in nanoseconds, measured
	// with the monotonic clock; it is only meaningful within one host (the
	// monotonic clock of a restored process may jump).
	UptimeNS int64 `json:"uptime_ns"`
	// UnixNS is the workload host's wall-clock time, in nanoseconds since 1970.
	UnixNS int64 `json:"unix_ns"`
	// Verify is set in replies to verify requests.
	Verify *VerifyResult `json:"verify,omitempty"`
	// Error is set when the request was not understood.
	Error string `json:"error,omitempty"`
}

// VerifyResult compares the incremental checksum with one recomputed over the
// whole memory; a match proves that every page holds what the workload wrote.
type VerifyResult struct {
	// Writes is the number of writes at the time of the check.
	Writes uint64 `json:"writes"`
	// Incremental is the checksum kept up to date write by write.
	Incremental Hex64 `json:"incremental"`
	// Full is the checksum recomputed from the memory's contents.
	Full Hex64 `json:"full"`
	// Match reports Incremental == Full.
	Match bool `json:"match"`
	// TookNS is how long the recomputation took, in nanoseconds.
	TookNS int64 `json:"took_ns"`
}

// Request is a parsed request line.
type Request struct {
	// Cmd is CmdProbe or CmdVerify (or anything else, which the workload refuses).
	Cmd string
	// ID is echoed in the reply.
	ID uint64
}

// String formats r as it goes on the wire (without the newline).
func (r Request) String() string {
	if r.ID == 0 {
		return r.Cmd
	}
	return r.Cmd + " " + strconv.FormatUint(r.ID, 10)
}

// ParseRequest parses one request line (surrounding white space is ignored).
func ParseRequest(line string) (Request, error) {
	f := strings.Fields(line)
	if len(f) == 0 || len(f) > 2 {
		return Request{}, fmt.Errorf("want %q or %q with an optional numeric id, got %q", CmdProbe, CmdVerify, line)
	}
	r := Request{Cmd: f[0]}
	if len(f) == 2 {
		id, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return r, fmt.Errorf("id %q is not an unsigned decimal number", f[1])
		}
		r.ID = id
	}
	if r.Cmd != CmdProbe && r.Cmd != CmdVerify {
		return r, fmt.Errorf("unknown command %q (want %q or %q)", r.Cmd, CmdProbe, CmdVerify)
	}
	return r, nil
}

// ParseReply decodes one reply line.
func ParseReply(b []byte) (Reply, error) {
	var r Reply
	if err := json.Unmarshal(b, &r); err != nil {
		return Reply{}, fmt.Errorf("bad probe reply %q: %w", truncate(b), err)
	}
	return r, nil
}

func truncate(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}
