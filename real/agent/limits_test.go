package agent

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// timedTarget is an agent on TLS listeners with short limits, and a
// migration announced from vm1.
func timedTarget(t *testing.T, lim Limits) (pki testPKI, priv string, in Incoming) {
	pki = newTestPKI(t, "tb")
	s, _ := newTarget(t, pki.host(t, "vm2"), lim)
	loop := serveTLS(t, s, true)
	priv = serveTLS(t, s, false)
	in = testIncoming(t)
	if st, body := announce(t, tlsClient(pki.orchestrator(t).ClientConfig("vm2")), "https://"+loop, in); st != http.StatusNoContent {
		t.Fatalf("announce: %d %s", st, body)
	}
	return pki, priv, in
}

// A sender that stalls mid-body is cut after Limits.BodyIdle: the agent
// answers 408 and closes the connection. (It used to wait forever: a
// request stalled mid-body for 35 s was still accepted.)
func TestStalledBodyIsCut(t *testing.T) {
	pki, priv, in := timedTarget(t, Limits{BodyIdle: 300 * time.Millisecond})
	conn, err := tls.Dial("tcp", priv, pki.host(t, "vm1").ClientConfig(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := roundTar(t, 1)
	fmt.Fprintf(conn, "PUT /v1/incoming/%s/rounds/1 HTTP/1.1\r\nHost: vm2\r\n%s: %s\r\nContent-Length: %d\r\n\r\n", testID, TokenHeader, in.Token, len(body))
	conn.Write(body[:1024])
	stalled := time.Now()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	took := time.Since(stalled)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(b), "delivered nothing") {
		t.Errorf("stalled body: %d %s; want 408", resp.StatusCode, b)
	}
	if took < 250*time.Millisecond || took > 3*time.Second {
		t.Errorf("cut after %s; want about BodyIdle (300ms)", took)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("the connection is still open after a stalled body")
	}
}

// A slow body that keeps moving is not cut, however long it takes.
func TestSlowBodyIsNotCut(t *testing.T) {
	pki, priv, in := timedTarget(t, Limits{BodyIdle: 300 * time.Millisecond})
	body := roundTar(t, 1)
	c := tlsClient(pki.host(t, "vm1").ClientConfig(""))
	start := time.Now()
	st, out := putReader(t, c, "https://"+priv+"/v1/incoming/"+testID+"/rounds/1", in.Token, body, &slowReader{b: body, chunk: len(body)/8 + 1, every: 120 * time.Millisecond})
	if st != http.StatusNoContent {
		t.Fatalf("slow body: %d %s", st, out)
	}
	if took := time.Since(start); took < 600*time.Millisecond {
		t.Errorf("the slow body took %s; the test needs it to outlast BodyIdle", took)
	}
}

// Connections that do not finish their headers are closed after
// Limits.ReadHeaderTimeout.
func TestHeaderTimeout(t *testing.T) {
	pki, priv, _ := timedTarget(t, Limits{ReadHeaderTimeout: 300 * time.Millisecond})
	for _, tc := range []struct {
		name string
		dial func() (net.Conn, error)
		send string
	}{
		{"no TLS handshake", func() (net.Conn, error) { return net.Dial("tcp", priv) }, ""},
		{"half a header", func() (net.Conn, error) { return tls.Dial("tcp", priv, pki.host(t, "vm1").ClientConfig("")) }, "PUT /v1/calib/sink HTTP/1.1\r\nHost"},
	} {
		conn, err := tc.dial()
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, tc.send)
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, conn)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s: closed after %s; want about ReadHeaderTimeout (300ms)", tc.name, took)
		}
		conn.Close()
	}
}

// Each listener serves at most Limits.MaxConns connections at a time;
// further ones wait until one closes.
func TestConnectionCap(t *testing.T) {
	pki, priv, _ := timedTarget(t, Limits{MaxConns: 2})
	cfg := pki.host(t, "vm1").ClientConfig("")
	var open []net.Conn
	for range 2 {
		c, err := tls.Dial("tcp", priv, cfg)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 400 * time.Millisecond}, Config: cfg}
	if c, err := d.Dial("tcp", priv); err == nil {
		c.Close()
		t.Fatal("a third connection was served with MaxConns 2")
	}
	open[0].Close()
	d.NetDialer.Timeout = 5 * time.Second
	c, err := d.Dial("tcp", priv)
	if err != nil {
		t.Fatalf("no connection once one closed: %v", err)
	}
	c.Close()
	open[1].Close()
}

// slowReader gives b in chunks, one every `every`.
type slowReader struct {
	b     []byte
	chunk int
	every time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	n := copy(p[:min(len(p), r.chunk)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// putReader is put with the body read from r (body gives the trailers).
func putReader(t *testing.T, c *http.Client, url, token string, body []byte, r io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, r)
	req.ContentLength = -1
	req.Header.Set(TokenHeader, token)
	req.Trailer = trailersOf(body)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, errorText(resp.StatusCode, b)
}
