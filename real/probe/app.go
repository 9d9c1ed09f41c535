package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Spec is a probe of an application in its own terms rather than the
// workload's protocol: a TCP connect (optionally writing Send and reading
// until Expect), an HTTP GET with an expected status, and a shell command
// run on this host. Every kind given must pass for an answer. A probe holds
// no connection open after it returns: a CRIU dump fails on a connected
// TCP socket, so nothing of the monitor may stay connected to the service.
type Spec struct {
	TCP bool `json:"tcp,omitempty"`
	// UDP sends Send as one datagram and waits for one answer datagram
	// (holding Expect when it is set).
	UDP        bool   `json:"udp,omitempty"`
	Send       string `json:"send,omitempty"`
	Expect     string `json:"expect,omitempty"`
	HTTPPath   string `json:"http_path,omitempty"`
	HTTPStatus int    `json:"http_status,omitempty"`
	Exec       string `json:"exec,omitempty"`
}

// Empty reports whether the spec asks for nothing (then the workload's UDP
// protocol is meant).
func (s Spec) Empty() bool { return s == Spec{} }

// maxExpectRead bounds what a TCP probe reads looking for Expect.
const maxExpectRead = 64 << 10

// Check probes the service at addr (host:port) once; nil means it answered.
// It waits until ctx is done, or DefaultProbeTimeout without a deadline.
func (s Spec) Check(ctx context.Context, addr string) error {
	ctx, cancel := withDefaultTimeout(ctx, DefaultProbeTimeout)
	defer cancel()
	if s.Empty() {
		return errors.New("probe: empty spec")
	}
	if s.TCP {
		if err := s.tcp(ctx, addr); err != nil {
			return err
		}
	}
	if s.UDP {
		if err := s.udp(ctx, addr); err != nil {
			return err
		}
	}
	if s.HTTPPath != "" {
		if err := s.http(ctx, addr); err != nil {
			return err
		}
	}
	if s.Exec != "" {
		if _, err := RunShell(ctx, s.Exec, addr, nil); err != nil {
			return err
		}
	}
	return nil
}

func (s Spec) tcp(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.Send == "" {
		return nil
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := io.WriteString(c, s.Send); err != nil {
		return ctxErr(ctx, err)
	}
	if s.Expect == "" {
		return nil
	}
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < maxExpectRead {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if bytes.Contains(got, []byte(s.Expect)) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tcp probe of %s: %q not in the answer %q: %w", addr, s.Expect, clip(got), ctxErr(ctx, err))
		}
	}
	return fmt.Errorf("tcp probe of %s: %q not in the first %d bytes of the answer", addr, s.Expect, maxExpectRead)
}

// udp sends Send in one datagram from a fresh socket and waits for one
// answer (which must hold Expect when it is set); datagrams that do not are
// skipped until the deadline.
func (s Spec) udp(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := io.WriteString(c, s.Send); err != nil {
		return ctxErr(ctx, err)
	}
	buf := make([]byte, 64<<10)
	var last []byte
	for {
		n, err := c.Read(buf)
		if err != nil {
			if last != nil {
				return fmt.Errorf("udp probe of %s: %q not in the answer %q: %w", addr, s.Expect, clip(last), ctxErr(ctx, err))
			}
			return fmt.Errorf("udp probe of %s: no answer: %w", addr, ctxErr(ctx, err))
		}
		if s.Expect == "" || bytes.Contains(buf[:n], []byte(s.Expect)) {
			return nil
		}
		last = append(last[:0], buf[:n]...)
	}
}

// probeTransport holds no idle connection (see Spec).
var probeTransport = &http.Transport{DisableKeepAlives: true, Proxy: nil}

func (s Spec) http(ctx context.Context, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+s.HTTPPath, nil)
	if err != nil {
		return err
	}
	resp, err := probeTransport.RoundTrip(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	want := s.HTTPStatus
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return fmt.Errorf("http probe of %s%s: status %d, want %d", addr, s.HTTPPath, resp.StatusCode, want)
	}
	return nil
}

// AddrEnv returns the environment that tells a command where the service
// is: ADDR=host:port, HOST and PORT.
func AddrEnv(addr string) []string {
	if addr == "" {
		return nil
	}
	env := []string{"ADDR=" + addr}
	if h, p, err := net.SplitHostPort(addr); err == nil {
		env = append(env, "HOST="+h, "PORT="+p)
	}
	return env
}

// maxShellOutput bounds what RunShell keeps of a command's output.
const maxShellOutput = 1 << 20

// ShellResult is what a command run by RunShell did.
type ShellResult struct {
	Stdout, Stderr string
	ExitCode       int
	Took           time.Duration
}

// RunShell runs cmd with /bin/sh -c in its own process group, with the
// service's address in its environment (AddrEnv) plus env, and returns its
// output; a non-zero exit is an error that quotes the end of stderr. When
// ctx ends, the whole group is killed.
func RunShell(ctx context.Context, cmd, addr string, env []string) (ShellResult, error) {
	c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
	c.Env = append(append(os.Environ(), AddrEnv(addr)...), env...)
	var out, errb capped
	c.Stdout, c.Stderr = &out, &errb
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = time.Second
	start := time.Now()
	err := c.Run()
	res := ShellResult{Stdout: out.String(), Stderr: errb.String(), ExitCode: c.ProcessState.ExitCode(), Took: time.Since(start)}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return res, fmt.Errorf("%q: %w (%v)", cmd, cerr, err)
		}
		msg := strings.TrimSpace(res.Stderr)
		if len(msg) > 300 {
			msg = "..." + msg[len(msg)-300:]
		}
		return res, fmt.Errorf("%q: %v: %s", cmd, err, msg)
	}
	return res, nil
}

// capped is a buffer that keeps the first maxShellOutput bytes.
type capped struct{ b bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxShellOutput - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.b.String() }

// clip shortens an answer for an error message.
func clip(b []byte) string {
	line, _, _ := bufio.NewReader(bytes.NewReader(b)).ReadLine()
	if len(line) > 80 {
		line = line[:80]
	}
	return string(line)
}
