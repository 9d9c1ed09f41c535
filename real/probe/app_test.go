package probe

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// pongServer answers "+PONG" to every line, like Redis to PING, and counts
// the connections open at any moment.
func pongServer(t *testing.T) (addr string, open *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	open = new(atomic.Int32)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			open.Add(1)
			go func() {
				defer open.Add(-1)
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					c.Write([]byte("+PONG\r\n"))
				}
			}()
		}
	}()
	return ln.Addr().String(), open
}

// udpEcho answers every datagram with "+" and the datagram, like a game
// server's status query.
func udpEcho(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(append([]byte("+"), buf[:n]...), from)
		}
	}()
	return pc.LocalAddr().String()
}

func TestSpecKinds(t *testing.T) {
	addr, _ := pongServer(t)
	echo := udpEcho(t)
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer web.Close()
	webAddr := strings.TrimPrefix(web.URL, "http://")
	ctx := context.Background()
	for _, c := range []struct {
		name string
		spec Spec
		addr string
		ok   bool
	}{
		{"tcp connect", Spec{TCP: true}, addr, true},
		{"tcp ping", Spec{TCP: true, Send: "PING\r\n", Expect: "+PONG"}, addr, true},
		{"tcp wrong answer", Spec{TCP: true, Send: "PING\r\n", Expect: "+OK"}, addr, false},
		{"tcp nobody", Spec{TCP: true}, "127.0.0.1:1", false},
		{"udp request and answer", Spec{UDP: true, Send: "status"}, echo, true},
		{"udp expect", Spec{UDP: true, Send: "status", Expect: "+status"}, echo, true},
		{"udp wrong answer", Spec{UDP: true, Send: "status", Expect: "OK"}, echo, false},
		{"udp no answer", Spec{UDP: true, Send: "status"}, silent.LocalAddr().String(), false},
		{"http", Spec{HTTPPath: "/health"}, webAddr, true},
		{"http status", Spec{HTTPPath: "/nope", HTTPStatus: 404}, webAddr, true},
		{"http wrong status", Spec{HTTPPath: "/nope"}, webAddr, false},
		{"exec sees the address", Spec{Exec: `test "$ADDR" = "$HOST:$PORT" && test "$PORT" = 1234`}, "10.0.0.1:1234", true},
		{"exec fails", Spec{Exec: "exit 3"}, addr, false},
		{"all kinds must pass", Spec{TCP: true, Exec: "false"}, addr, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := c.spec.Check(cctx, c.addr); (err == nil) != c.ok {
				t.Fatalf("Check = %v, want ok %v", err, c.ok)
			}
		})
	}
}

func TestRunShellKillsTheGroupAtTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := RunShell(ctx, "sleep 30 & sleep 30; wait", "", nil)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
	res, err := RunShell(context.Background(), "echo $X; echo oops >&2; exit 2", "", []string{"X=42"})
	if err == nil || res.Stdout != "42\n" || res.ExitCode != 2 || !strings.Contains(err.Error(), "oops") {
		t.Fatalf("res %+v, err %v", res, err)
	}
}

// TestMonitorWithSpec: a Spec monitor records answers of the source, then
// of the target; a paused address holds no connection and gets no probe.
func TestMonitorWithSpec(t *testing.T) {
	src, open := pongServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dst := ln.Addr().String()
	ln.Close() // nothing listens on the target yet
	m := NewMonitor(src, dst)
	m.Interval, m.Timeout = 5*time.Millisecond, 500*time.Millisecond
	m.Spec = &Spec{TCP: true, Send: "PING\r\n", Expect: "PONG"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	time.Sleep(100 * time.Millisecond)
	if err := m.Pause(src, true); err != nil {
		t.Fatal(err)
	}
	paused := m.Stats()[0].Sent
	time.Sleep(50 * time.Millisecond) // the server sees the last probe's close
	if n := open.Load(); n != 0 {
		t.Errorf("%d connections open to a paused address", n)
	}
	time.Sleep(50 * time.Millisecond)
	if got := m.Stats()[0].Sent; got != paused {
		t.Errorf("%d probes sent to a paused address", got-paused)
	}
	ln2, err := net.Listen("tcp", dst)
	if err != nil {
		t.Skipf("the target's port was taken meanwhile: %v", err)
	}
	defer ln2.Close()
	go func() {
		for {
			c, err := ln2.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				c.Write([]byte("+PONG\r\n"))
			}()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done
	mig, err := m.Analyze(src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if mig.SourceAnswers == 0 || mig.TargetAnswers == 0 || mig.Downtime < 50*time.Millisecond {
		t.Fatalf("%+v", mig)
	}
	if st := m.Stats(); st[1].Lost == 0 {
		t.Errorf("the target's refused probes were not counted as lost: %+v", st)
	}
	if err := m.Pause("127.0.0.1:9", true); err == nil {
		t.Error("pausing an address that is not probed")
	}
}
