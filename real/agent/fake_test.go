package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/testbed/mtls"
)

// fakeEngine stands for Podman in tests: a map of containers; a restore
// records the archive it was given and creates the container.
type fakeEngine struct {
	mu         sync.Mutex
	st         storeInfo
	containers map[string]Container
	// restoreErr makes restoreImport fail after creating a Created container.
	restoreErr     error
	restored       []string // archives given to restoreImport
	removed        []string
	removedVolumes []string
	// images maps image names to IDs; loadImage adds fakeLoadedImage.
	images map[string]string
	loaded [][]byte
	// localRestoreErr makes restoreLocal fail (nil: the container runs);
	// startErr makes start fail. localRestored and started list their calls.
	localRestoreErr, startErr error
	localRestored, started    []string
}

func (f *fakeEngine) version(context.Context) (string, error) { return "4.3.1", nil }
func (f *fakeEngine) inspect(_ context.Context, n string) (Container, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.ID == n || c.Name == n {
			return c, true, nil
		}
	}
	return Container{}, false, nil
}
func (f *fakeEngine) create(context.Context, WorkloadSpec) (Container, error) {
	return Container{}, errors.New("fake: no create")
}
func (f *fakeEngine) remove(_ context.Context, n string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, n)
	delete(f.containers, n)
	return nil
}
func (f *fakeEngine) removeVolume(_ context.Context, n string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removedVolumes = append(f.removedVolumes, n)
	return nil
}
func (f *fakeEngine) checkpoint(context.Context, string, string, bool) error {
	return errors.New("fake: no checkpoint")
}
func (f *fakeEngine) restoreImport(_ context.Context, archive string) (*RestoreStats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restored = append(f.restored, archive)
	id := strings.Repeat("ab", 32)
	if f.restoreErr != nil {
		f.containers[id] = Container{ID: id, Name: "web", State: "created"}
		return nil, f.restoreErr
	}
	f.containers[id] = Container{ID: id, Name: "web", State: "running", Running: true, PID: 42}
	return &RestoreStats{PagesRestored: 7}, nil
}
func (f *fakeEngine) restoreLocal(_ context.Context, id string) error {
	return f.run(id, &f.localRestored, f.localRestoreErr)
}
func (f *fakeEngine) start(_ context.Context, id string) error {
	return f.run(id, &f.started, f.startErr)
}

// run lists id in calls and, unless err, marks container id running.
func (f *fakeEngine) run(id string, calls *[]string, err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	*calls = append(*calls, id)
	if err != nil {
		return err
	}
	c, ok := f.containers[id]
	if !ok {
		return fmt.Errorf("fake: no container %s", id)
	}
	c.State, c.Running, c.Checkpointed, c.PID = "running", true, false, 4242
	f.containers[id] = c
	return nil
}
func (f *fakeEngine) store(context.Context) (storeInfo, error) { return f.st, nil }

func (f *fakeEngine) calls() (restored, removed, volumes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.restored...), append([]string(nil), f.removed...), append([]string(nil), f.removedVolumes...)
}

// testID is the container every test migrates.
var testID = strings.Repeat("ab", 32)

// newTarget returns an agent with a fake Podman and plenty of free space.
func newTarget(t *testing.T, id *mtls.Identity, lim Limits) (*Server, *fakeEngine) {
	t.Helper()
	s, err := New(Config{StateDir: t.TempDir(), TLS: id, Limits: lim, RuncRoot: t.TempDir(), Runc: "/nonexistent/runc"})
	if err != nil {
		t.Fatal(err)
	}
	fe := &fakeEngine{st: storeInfo{GraphRoot: t.TempDir(), Driver: "overlay", RunRoot: "/run/containers/storage"},
		containers: map[string]Container{}}
	s.pod = fe
	s.freeSpace = func(string) (uint64, error) { return 1 << 40, nil }
	return s, fe
}

// plainTarget serves s's full API over plain HTTP (no certificate binding).
func plainTarget(t *testing.T, s *Server) string {
	t.Helper()
	srv := httptest.NewServer(s.Handler(true))
	t.Cleanup(srv.Close)
	return srv.URL
}

// testSpec is an OCI spec like Podman's for a workload container.
const testSpec = `{"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0},"args":["/migrlab-workload"],
"capabilities":{"bounding":["CAP_CHOWN","CAP_NET_BIND_SERVICE"],"effective":["CAP_CHOWN","CAP_NET_BIND_SERVICE"]}},
"root":{"path":"/var/lib/containers/storage/overlay/x/merged"},
"mounts":[{"destination":"/proc","type":"proc","source":"proc"},
{"destination":"/etc/hosts","type":"bind","source":"/run/containers/storage/overlay-containers/ID/userdata/hosts","options":["bind"]}],
"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/netns-1"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]}}`

// testProfile is the profile of testSpec, unprivileged, with volumes.
func testProfile(t *testing.T, volumes ...string) *Profile {
	t.Helper()
	p := &Profile{Volumes: sorted(volumes)}
	if err := specProfile(p, []byte(testSpec)); err != nil {
		t.Fatal(err)
	}
	return p
}

// testIncoming announces testID from host vm1.
func testIncoming(t *testing.T) Incoming {
	return Incoming{ID: testID, Name: "web", Token: strings.Repeat("t", 40), ImageID: strings.Repeat("1", 64),
		Profile: testProfile(t), Source: "vm1", MaxRoundBytes: 1 << 20, MaxArchiveBytes: 4 << 20}
}

// entry is one tar entry of a test archive.
type entry struct {
	name, link string
	typ        byte
	body       string
	mode       int64
	pax        map[string]string
}

func dir(n string) entry             { return entry{name: n + "/", typ: tar.TypeDir} }
func file(n, body string) entry      { return entry{name: n, typ: tar.TypeReg, body: body} }
func symlink(n, target string) entry { return entry{name: n, typ: tar.TypeSymlink, link: target} }

// tarOf writes entries as a tar stream.
func tarOf(t *testing.T, es ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		mode := e.mode
		if mode == 0 {
			mode = 0o600
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Size: int64(len(e.body)), Mode: mode,
			ModTime: time.Unix(0, 0), PAXRecords: e.pax}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		io.WriteString(tw, e.body)
	}
	tw.Close()
	return b.Bytes()
}

// rawBlock is a 512-byte ustar header, for entries tar.Writer refuses to write.
func rawBlock(name string, typ byte, size int) []byte {
	b := make([]byte, 512)
	copy(b[0:], name)
	copy(b[100:], "0000600\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func pad(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }

// sparseTar is a PAX (GNU 1.0) sparse entry of 3 KiB on the wire that
// expands to 256 MiB: what a peer could send to fill the target's disk.
func sparseTar(name string) []byte {
	rec := func(k, v string) string {
		l := len(k) + len(v) + 3
		for len(strconv.Itoa(l))+len(k)+len(v)+3 != l {
			l++
		}
		return fmt.Sprintf("%d %s=%s\n", l, k, v)
	}
	pax := rec("GNU.sparse.major", "1") + rec("GNU.sparse.minor", "0") + rec("GNU.sparse.name", name) +
		rec("GNU.sparse.realsize", strconv.Itoa(256<<20))
	data := pad([]byte("1\n0\n1024\n"))
	data = append(data, pad(bytes.Repeat([]byte{7}, 1024))...)
	var out []byte
	out = append(out, rawBlock("PaxHeaders/x", tar.TypeXHeader, len(pax))...)
	out = append(out, pad([]byte(pax))...)
	out = append(out, rawBlock("GNUSparseFile.0/x", tar.TypeReg, len(data))...)
	out = append(out, data...)
	return append(out, make([]byte, 1024)...)
}

// put PUTs body to url with the token and, when trailers, the length
// and SHA-256 trailers push sends; contentLength >= 0 sets Content-Length
// instead. It returns the status and the body of the answer.
func put(t *testing.T, c *http.Client, url, token string, body []byte, trailers bool, contentLength int64) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, io.NopCloser(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(TokenHeader, token)
	req.ContentLength = -1
	if contentLength >= 0 {
		req.ContentLength = contentLength
		req.Body = io.NopCloser(io.LimitReader(bytes.NewReader(body), contentLength))
	}
	if trailers {
		req.Trailer = trailersOf(body)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(errorText(resp.StatusCode, b))
}

// announce posts in to the agent at base.
func announce(t *testing.T, c *http.Client, base string, in Incoming) (int, string) {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := c.Post(base+"/v1/incoming", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(errorText(resp.StatusCode, out))
}

// post does an empty POST (or DELETE) and returns status and body.
func call(t *testing.T, c *http.Client, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(errorText(resp.StatusCode, out))
}

// roundTar is round k as push sends it.
func roundTar(t *testing.T, k int, extra ...entry) []byte {
	es := []entry{dir(roundName(k)), file(roundName(k)+"/pages-1.img", strings.Repeat("p", 4096)), file(roundName(k)+"/pagemap-1.img", "map")}
	if k > 1 {
		es = append(es, symlink(roundName(k)+"/parent", "../"+roundName(k-1)))
	}
	return tarOf(t, append(es, extra...)...)
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

// serveJSON runs one request with a JSON body through h.
func serveJSON(t *testing.T, h http.Handler, method, path string, v any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(v)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(b)))
	return rec.Code, strings.TrimSpace(errorText(rec.Code, rec.Body.Bytes()))
}

// tlsClient is an HTTPS client with cfg and no connection reuse.
func tlsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}, Timeout: 20 * time.Second}
}

// trailersOf are the trailers push sends with body.
func trailersOf(body []byte) http.Header {
	sum := sha256.Sum256(body)
	return http.Header{LengthTrailer: {strconv.Itoa(len(body))}, DigestTrailer: {hex.EncodeToString(sum[:])}}
}
