package image

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/probe"
)

// TestAppImages pins the example applications' recipes: the names the
// command takes, the image names, what mmdebstrap installs and what the
// images run.
func TestAppImages(t *testing.T) {
	if got := AppNames(); !reflect.DeepEqual(got, []string{"memcached", "redis"}) {
		t.Errorf("AppNames() = %v", got)
	}
	for _, c := range []struct {
		app, image, include string
		cmd                 []string
		port                int
	}{
		{"redis", "localhost/migrlab-redis:latest", "--include=bash,redis-server", []string{"redis-server"}, 6379},
		{"memcached", "localhost/migrlab-memcached:latest", "--include=bash,memcached",
			[]string{"memcached", "-u", "memcache", "-m", "64", "-p", "11211", "-U", "0"}, 11211},
	} {
		d := Apps[c.app]
		args := d.mmdebstrapArgs("/tmp/rootfs.tar")
		want := []string{"--variant=essential", c.include, "--dpkgopt=path-exclude=/usr/share/man/*",
			"--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/locale/*", "bookworm", "/tmp/rootfs.tar"}
		if d.Name != c.image || !reflect.DeepEqual(args, want) || !reflect.DeepEqual(d.Run.Cmd, c.cmd) ||
			!reflect.DeepEqual(d.Run.Ports, []int{c.port}) || len(d.Run.Entrypoint) != 0 {
			t.Errorf("%s: image %s, mmdebstrap %q, run %+v", c.app, d.Name, args, d.Run)
		}
	}
	d := Memcached
	d.Suite, d.Mirror = "trixie", "http://mirror.example/debian"
	if got := d.mmdebstrapArgs("r.tar"); !reflect.DeepEqual(got[5:], []string{"trixie", "r.tar", "http://mirror.example/debian"}) {
		t.Errorf("suite and mirror: %q", got)
	}
	if Memcached.Packages[0] != "memcached" || len(Memcached.Packages) != 1 {
		t.Errorf("Memcached.Packages = %v: the bash the hooks need is added by packages(), not listed", Memcached.Packages)
	}
}

// TestExampleApps: examples/app-NAME.yaml is a valid scenario that runs
// the image NAME builds, from the archive the docs tell to write, on the
// port the image exposes, with the image's program.
func TestExampleApps(t *testing.T) {
	for _, name := range AppNames() {
		s := exampleApp(t, name)
		d := Apps[name]
		a := s.App
		if a.Image != d.Name || a.Archive != "out/"+name+".tar" || a.Port != d.Run.Ports[0] || a.Args[0] != d.Run.Cmd[0] ||
			!a.Probe.TCP || a.Probe.Send == "" || a.Probe.Expect == "" || a.Load.Exec == "" || a.Check.Exec == "" {
			t.Errorf("examples/app-%s.yaml: app %+v, image %+v", name, a, d)
		}
	}
	s := exampleApp(t, "memcached")
	if a := s.App; a.Probe.Send != "version\r\n" || a.Probe.Expect != "VERSION" ||
		strings.Join(a.Args, " ") != "memcached -u memcache -l 0.0.0.0 -p 11211 -m 64 -U 0" {
		t.Errorf("memcached: probe %+v, args %q", a.Probe, a.Args)
	}
	if s.Memory.Size != 4<<20 || s.Workload.DirtyRate != 512<<10 || s.Workload.WWS != 2<<20 {
		t.Errorf("memcached: memory %v, workload %+v", s.Memory.Size, s.Workload)
	}
}

func exampleApp(t *testing.T, name string) models.Scenario {
	t.Helper()
	f, err := os.Open("../../examples/app-" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := models.ParseScenario(f)
	if err != nil {
		t.Fatalf("examples/app-%s.yaml: %v", name, err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("examples/app-%s.yaml: %v", name, err)
	}
	return s
}

// TestMemcachedExampleHooks runs examples/app-memcached.yaml's probe, load
// and check as the agent does (probe.Spec.Check, probe.RunShell) against a
// small memcached of the text protocol: the probe passes; the load writes
// 256-byte values to key:0..key:1999 and runs until stopped; the check prints
// only the SHA-256 of the gets' answers over the whole key space, which
// changes with one value, and fails on a cut answer rather than hash it.
func TestMemcachedExampleHooks(t *testing.T) {
	for _, tool := range []string{"bash", "timeout", "mktemp", "tr", "wc", "sha256sum", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: %v", tool, err)
		}
	}
	a := exampleApp(t, "memcached").App
	m := startFakeMemcached(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	spec := probe.Spec{TCP: a.Probe.TCP, Send: a.Probe.Send, Expect: a.Probe.Expect}
	if err := spec.Check(ctx, m.addr); err != nil {
		t.Fatalf("probe: %v", err)
	}

	empty, err := probe.RunShell(ctx, a.Check.Exec, m.addr, nil)
	if err != nil || strings.TrimSpace(empty.Stdout) != m.digest() {
		t.Fatalf("check of the empty cache: %q, %v; want %s", empty.Stdout, err, m.digest())
	}

	lctx, lcancel := context.WithTimeout(ctx, 2*time.Second)
	_, err = probe.RunShell(lctx, a.Load.Exec, m.addr, nil)
	lcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the load ended by itself: %v; want it to run until stopped", err)
	}
	n, vals := m.stats()
	t.Logf("the load made %d sets of %d keys in 2s", n, len(vals))
	if n == 0 || len(vals) > 2000 || len(vals) != min(n, 2000) {
		t.Fatalf("the load made %d sets of %d keys; want key:0 .. key:1999 in turn", n, len(vals))
	}
	for k, v := range vals {
		if !strings.HasPrefix(k, "key:") || len(v) != 256 || strings.Trim(v, "0123456789") != "" {
			t.Fatalf("the load wrote %q = %q", k, v)
		}
	}

	res, err := probe.RunShell(ctx, a.Check.Exec, m.addr, nil)
	got := strings.TrimSpace(res.Stdout)
	if err != nil || got != m.digest() || len(got) != 64 || got == strings.TrimSpace(empty.Stdout) {
		t.Fatalf("check after %d keys: %q (stderr %q), %v; want only %s", n, res.Stdout, res.Stderr, err, m.digest())
	}
	again, err := probe.RunShell(ctx, a.Check.Exec, m.addr, nil)
	if err != nil || strings.TrimSpace(again.Stdout) != got {
		t.Errorf("a second check of the same state: %q, %v; want %s", again.Stdout, err, got)
	}
	m.set("key:7", strings.Repeat("1", 256))
	changed, err := probe.RunShell(ctx, a.Check.Exec, m.addr, nil)
	if err != nil || strings.TrimSpace(changed.Stdout) == got || strings.TrimSpace(changed.Stdout) != m.digest() {
		t.Errorf("check after changing key:7: %q, %v; want another digest, %s", changed.Stdout, err, m.digest())
	}
	m.cutGets(true)
	// memcached closing mid-answer: the check ends in error (its count of
	// ENDs, or a reset connection), never with a digest.
	if cut, err := probe.RunShell(ctx, a.Check.Exec, m.addr, nil); err == nil || strings.TrimSpace(cut.Stdout) != "" {
		t.Errorf("check of a cut answer: %q, %q, %v; want it to fail", cut.Stdout, cut.Stderr, err)
	}
}

// fakeMemcached speaks the part of memcached's text protocol the example
// uses: set, get (several keys), version and quit.
type fakeMemcached struct {
	addr string
	mu   sync.Mutex
	vals map[string]string
	sets int
	cut  bool
}

func startFakeMemcached(t *testing.T) *fakeMemcached {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m := &fakeMemcached{addr: l.Addr().String(), vals: map[string]string{}}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go m.serve(c)
		}
	}()
	return m
}

func (m *fakeMemcached) serve(c net.Conn) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "version":
			w.WriteString("VERSION 1.6.18\r\n")
		case "quit":
			w.Flush()
			return
		case "set":
			size, _ := strconv.Atoi(f[len(f)-1])
			data := make([]byte, size+2)
			if _, err := io.ReadFull(r, data); err != nil {
				return
			}
			m.set(f[1], string(data[:size]))
			w.WriteString("STORED\r\n")
		case "get":
			m.mu.Lock()
			ans := getAnswer(m.vals, f[1:])
			cut := m.cut
			m.mu.Unlock()
			if cut {
				w.WriteString(ans[:len(ans)/2])
				w.Flush()
				return
			}
			w.WriteString(ans)
		default:
			w.WriteString("ERROR\r\n")
		}
		if r.Buffered() == 0 {
			w.Flush()
		}
	}
}

func (m *fakeMemcached) set(k, v string) {
	m.mu.Lock()
	m.vals[k] = v
	m.sets++
	m.mu.Unlock()
}

func (m *fakeMemcached) cutGets(cut bool) {
	m.mu.Lock()
	m.cut = cut
	m.mu.Unlock()
}

func (m *fakeMemcached) stats() (sets int, vals map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vals = make(map[string]string, len(m.vals))
	for k, v := range m.vals {
		vals[k] = v
	}
	return m.sets, vals
}

// digest is what the example's check must print for the cache's state.
func (m *fakeMemcached) digest() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := sha256.New()
	for i := 0; i < 2000; i += 100 {
		keys := make([]string, 0, 100)
		for k := i; k < i+100; k++ {
			keys = append(keys, fmt.Sprintf("key:%d", k))
		}
		h.Write([]byte(getAnswer(m.vals, keys)))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// getAnswer is memcached's answer to a get of keys.
func getAnswer(vals map[string]string, keys []string) string {
	var b strings.Builder
	for _, k := range keys {
		if v, ok := vals[k]; ok {
			fmt.Fprintf(&b, "VALUE %s 0 %d\r\n%s\r\n", k, len(v), v)
		}
	}
	b.WriteString("END\r\n")
	return b.String()
}
