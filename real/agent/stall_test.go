package agent

import (
	"archive/tar"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A peer that accepts the connection but never reads (a black-holed link)
// fails the transfer after StallTimeout, with an error that says so.
func TestPushFailsFastOnAStalledPeer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // never read, never answer
		}
	}()
	old := StallTimeout
	StallTimeout = 500 * time.Millisecond
	defer func() { StallTimeout = old }()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	big := strings.Repeat("x", 64<<20) // far more than the socket buffers hold
	start := time.Now()
	_, err = push(context.Background(), client, "http://"+l.Addr().String()+"/v1/incoming/x/archive", "token",
		func(tw *tar.Writer) (int, error) {
			if err := tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o600, Size: int64(len(big))}); err != nil {
				return 0, err
			}
			_, err := io.Copy(tw, strings.NewReader(big))
			return 1, err
		})
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "no progress for 500ms") || !strings.Contains(err.Error(), "private link") {
		t.Fatalf("push to a stalled peer: err = %v; want a stall error naming the private link", err)
	}
	if took > 10*time.Second {
		t.Errorf("push took %s to notice the stall; want about StallTimeout", took)
	}
}

// Progress keeps a slow transfer alive past StallTimeout.
func TestStallWatchProgressResets(t *testing.T) {
	ctx, w := watchStall(context.Background(), 200*time.Millisecond)
	defer w.stop()
	for i := 0; i < 6; i++ {
		time.Sleep(80 * time.Millisecond)
		w.progress()
	}
	if ctx.Err() != nil || w.fired() {
		t.Fatalf("cancelled although progress was reported every 80ms (fired %v)", w.fired())
	}
	time.Sleep(400 * time.Millisecond)
	if ctx.Err() == nil || !w.fired() {
		t.Fatal("not cancelled 400ms after the last progress")
	}
}
