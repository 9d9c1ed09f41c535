package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

func (f *fakeEngine) image(_ context.Context, name string) (ImageInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.images[name]
	return ImageInfo{Name: name, Present: ok, ID: id}, nil
}

func (f *fakeEngine) loadImage(_ context.Context, r io.Reader) (LoadReport, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return LoadReport{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loaded = append(f.loaded, b)
	if f.images == nil {
		f.images = map[string]string{}
	}
	f.images["localhost/app:latest"] = "sha256:feed"
	return LoadReport{Names: []string{"localhost/app:latest"}}, nil
}

// pullImage "pulls" registry.example/* images (their ID: sha256:pulled) and
// fails for the others, as for an unreachable registry.
func (f *fakeEngine) pullImage(_ context.Context, name string) (ImageInfo, error) {
	if !strings.HasPrefix(name, "registry.example/") {
		return ImageInfo{}, fmt.Errorf("podman pull %s: connection refused", name)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.images == nil {
		f.images = map[string]string{}
	}
	f.images[name] = "sha256:pulled"
	return ImageInfo{Name: name, Present: true, ID: "sha256:pulled"}, nil
}

// apiClient serves a fresh agent's full API on loopback and returns its client.
func apiClient(t *testing.T) (*Client, *fakeEngine) {
	t.Helper()
	s, fe := newTarget(t, nil, Limits{})
	return NewClient("vm1", strings.TrimPrefix(plainTarget(t, s), "http://"), nil), fe
}

// kvServer is a tiny service: "SET k" lines add k to a set, "SUM" answers
// the number of keys; it counts open connections.
type kvServer struct {
	ln   net.Listener
	mu   sync.Mutex
	keys map[string]bool
	open int
}

func newKV(t *testing.T) *kvServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kv := &kvServer{ln: ln, keys: map[string]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			kv.mu.Lock()
			kv.open++
			kv.mu.Unlock()
			go func() {
				defer func() { kv.mu.Lock(); kv.open--; kv.mu.Unlock(); c.Close() }()
				r := bufio.NewScanner(c)
				for r.Scan() {
					f := strings.Fields(r.Text())
					kv.mu.Lock()
					if len(f) == 2 && f[0] == "SET" {
						kv.keys[f[1]] = true
					}
					kv.mu.Unlock()
					c.Write([]byte("+OK\n"))
				}
			}()
		}
	}()
	return kv
}

func (kv *kvServer) state() (keys, open int) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	return len(kv.keys), kv.open
}

// TestLoadFollowsTheService: a load reaches the service through the
// agent's relay; paused, it holds no connection to the service and writes
// nothing; resumed with a new backend, it writes to the new service.
func TestLoadFollowsTheService(t *testing.T) {
	c, _ := apiClient(t)
	ctx := t.Context()
	src, dst := newKV(t), newKV(t)
	// A load that reconnects whenever its connection breaks, as a client of
	// a migrated service must.
	load := `i=0; while :; do exec 3<>/dev/tcp/$HOST/$PORT || { sleep 0.05; continue; }
	  while i=$((i+1)); printf "SET k%d\n" $i >&3 && read -r r <&3; do sleep 0.01; done; exec 3>&-; done`
	job, err := c.StartJob(ctx, JobRequest{Cmd: "exec bash -c '" + load + "'", Backend: src.ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(job.Relay, "127.0.0.1:") {
		t.Fatalf("relay %s", job.Relay)
	}
	waitFor(t, func() bool {
		n, _ := src.state()
		if n <= 5 {
			if st, _ := c.JobStatus(ctx, job.ID); !st.Running {
				t.Fatalf("the load ended: %+v", st)
			}
		}
		return n > 5
	})
	st, err := c.PauseJob(ctx, job.ID, PauseRequest{Settle: 100 * time.Millisecond})
	if err != nil || !st.Paused {
		t.Fatalf("pause: %+v, %v", st, err)
	}
	n1, open := src.state()
	if open != 0 {
		t.Errorf("%d connections to the service while the load is paused", open)
	}
	time.Sleep(200 * time.Millisecond)
	if n2, _ := src.state(); n2 != n1 {
		t.Errorf("the paused load wrote %d keys", n2-n1)
	}
	if _, err := c.ResumeJob(ctx, job.ID, ResumeRequest{Backend: dst.ln.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { n, _ := dst.state(); return n > 5 })
	st, err = c.StopJob(ctx, job.ID)
	if err != nil || st.Running {
		t.Fatalf("stop: %+v, %v", st, err)
	}
	if st.Relay.Backend != dst.ln.Addr().String() || st.Relay.Conns[src.ln.Addr().String()] == 0 || st.Relay.Up[dst.ln.Addr().String()] == 0 {
		t.Errorf("relay stats %+v", st.Relay)
	}
	if _, err := c.JobStatus(ctx, job.ID); err == nil {
		t.Error("a stopped job is still there")
	}
	if _, err := c.StartJob(ctx, JobRequest{Cmd: "true", Backend: "nowhere"}); err == nil {
		t.Error("a job without a backend address was started")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestExec(t *testing.T) {
	c, _ := apiClient(t)
	res, err := c.Exec(t.Context(), ExecRequest{Cmd: `echo "$HOST $PORT"`, Addr: "10.10.0.2:17000"})
	if err != nil || res.Stdout != "10.10.0.2 17000\n" || res.ExitCode != 0 || res.Error != "" {
		t.Fatalf("%+v, %v", res, err)
	}
	res, err = c.Exec(t.Context(), ExecRequest{Cmd: "echo bad >&2; exit 4"})
	if err != nil || res.ExitCode != 4 || !strings.Contains(res.Error, "bad") {
		t.Fatalf("a failing command: %+v, %v", res, err)
	}
	res, err = c.Exec(t.Context(), ExecRequest{Cmd: "sleep 10", Timeout: 100 * time.Millisecond})
	if err != nil || res.Error == "" || res.Took > 5*time.Second {
		t.Fatalf("a command past its timeout: %+v, %v", res, err)
	}
	if _, err := c.Exec(t.Context(), ExecRequest{Cmd: " "}); err == nil {
		t.Error("an empty command was run")
	}
}

func TestImagesAndAppProbes(t *testing.T) {
	c, fe := apiClient(t)
	ctx := t.Context()
	info, err := c.Image(ctx, "localhost/app:latest")
	if err != nil || info.Present {
		t.Fatalf("%+v, %v", info, err)
	}
	archive := bytes.Repeat([]byte("x"), 100000)
	rep, err := c.LoadImage(ctx, bytes.NewReader(archive), int64(len(archive)))
	if err != nil || len(rep.Names) != 1 || len(fe.loaded) != 1 || !bytes.Equal(fe.loaded[0], archive) {
		t.Fatalf("load: %+v, %v", rep, err)
	}
	if info, err = c.Image(ctx, "localhost/app:latest"); err != nil || !info.Present || info.ID != "sha256:feed" {
		t.Fatalf("%+v, %v", info, err)
	}
	if info, err = c.PullImage(ctx, "registry.example/app:1"); err != nil || !info.Present || info.ID != "sha256:pulled" {
		t.Fatalf("pull: %+v, %v", info, err)
	}
	var ae *AgentError
	if _, err = c.PullImage(ctx, "unreachable.example/app:1"); !errors.As(err, &ae) || ae.Status != http.StatusBadGateway || !strings.Contains(ae.Msg, "connection refused") {
		t.Fatalf("a failed pull: %v, want 502 with podman's reason", err)
	}
	kv := newKV(t)
	addr := kv.ln.Addr().String()
	if err := c.ProbeApp(ctx, addr, probe.Spec{TCP: true, Send: "SET x\n", Expect: "+OK"}); err != nil {
		t.Fatal(err)
	}
	if err := c.ProbeApp(ctx, "127.0.0.1:1", probe.Spec{TCP: true}); err == nil {
		t.Error("a probe of a closed port answered")
	}
	id, err := c.StartProbe(ctx, ProbeRequest{Addrs: []string{addr}, Interval: 5 * time.Millisecond, Timeout: time.Second,
		Spec: &probe.Spec{TCP: true, Send: "PING\n", Expect: "+OK"}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := c.PauseProbe(ctx, id, addr, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, open := kv.state(); open != 0 {
		t.Errorf("%d probe connections open after the pause", open)
	}
	if err := c.PauseProbe(ctx, id, "127.0.0.1:9", true); err == nil {
		t.Error("paused an address the monitor does not probe")
	}
	res, err := c.StopProbe(ctx, id)
	if err != nil || len(res.Answers) == 0 {
		t.Fatalf("%d answers, %v", len(res.Answers), err)
	}
}
