package probe

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// DefaultProbeTimeout bounds Probe when ctx has no deadline.
const DefaultProbeTimeout = time.Second

// DefaultVerifyTimeout bounds Verify when ctx has no deadline.
const DefaultVerifyTimeout = 30 * time.Second

// lastID numbers the requests of Probe and Verify.
var lastID atomic.Uint64

// Probe sends one probe request to addr (host:port) over UDP and returns the
// reply. It waits until ctx is done, or DefaultProbeTimeout without a deadline.
func Probe(ctx context.Context, addr string) (Reply, error) {
	ctx, cancel := withDefaultTimeout(ctx, DefaultProbeTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return Reply{}, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	req := Request{Cmd: CmdProbe, ID: lastID.Add(1)}
	if _, err := c.Write([]byte(req.String())); err != nil {
		return Reply{}, err
	}
	buf := make([]byte, 2048)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return Reply{}, ctxErr(ctx, err)
		}
		r, err := ParseReply(buf[:n])
		if err != nil || r.ID != req.ID {
			continue // a stray datagram
		}
		return r, nil
	}
}

// Verify asks the workload at addr (host:port) over TCP to recompute its
// checksum, and returns the reply, whose Verify field is set. It returns an
// error if the reply carries no verification; a mismatch is not an error here
// (look at Reply.Verify.Match, or use Migration.CheckVerify). It waits until
// ctx is done, or DefaultVerifyTimeout without a deadline.
func Verify(ctx context.Context, addr string) (Reply, error) {
	ctx, cancel := withDefaultTimeout(ctx, DefaultVerifyTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Reply{}, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	req := Request{Cmd: CmdVerify, ID: lastID.Add(1)}
	if _, err := c.Write([]byte(req.String() + "\n")); err != nil {
		return Reply{}, ctxErr(ctx, err)
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return Reply{}, ctxErr(ctx, err)
	}
	r, err := ParseReply(line)
	if err != nil {
		return Reply{}, err
	}
	if r.Error != "" {
		return r, fmt.Errorf("verify at %s: %s", addr, r.Error)
	}
	if r.Verify == nil || r.ID != req.ID {
		return r, fmt.Errorf("verify at %s: reply without verification or with id %d, want %d", addr, r.ID, req.ID)
	}
	return r, nil
}

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// ctxErr reports the context's error when the context ended the wait.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}
