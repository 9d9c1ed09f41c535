package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeRound makes an image directory like CRIU's: files and a parent link.
func writeRound(t *testing.T, dir string, k int) {
	t.Helper()
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "pages-1.img"), bytes.Repeat([]byte{byte(k)}, 3*4096), 0o600)
	os.WriteFile(filepath.Join(dir, "pagemap-1.img"), []byte("map"), 0o600)
	if k > 1 {
		os.Symlink("../"+roundName(k-1), filepath.Join(dir, "parent"))
	}
}

// push sends a round through the target's real upload endpoint (token,
// trailers with length and digest) and the target keeps it as CRIU wrote it.
func TestPushRoundRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "chain")
	writeRound(t, filepath.Join(src, "r1"), 1)
	writeRound(t, filepath.Join(src, "r2"), 2)
	s, fe := newTarget(t, nil, Limits{})
	srv := httptest.NewServer(s.Handler(false))
	defer srv.Close()
	in := testIncoming(t)
	if status, body := serveJSON(t, s.routes(true), "POST", "/v1/incoming", in); status != http.StatusNoContent {
		t.Fatalf("announce: %d %s", status, body)
	}
	dst := filepath.Join(fe.st.userData(testID), chainDir)
	for k := 1; k <= 2; k++ {
		tr, err := push(context.Background(), srv.Client(), srv.URL+"/v1/incoming/"+testID+"/rounds/"+fmt.Sprint(k), in.Token,
			func(tw *tar.Writer) (int, error) { return addTree(tw, filepath.Join(src, roundName(k)), roundName(k)) })
		if err != nil {
			t.Fatalf("round %d: %v", k, err)
		}
		if tr.Files != 2 || tr.Bytes < 3*4096 || tr.Time <= 0 {
			t.Errorf("transfer = %+v, want 2 files, >= 12288 bytes", tr)
		}
	}
	b, err := os.ReadFile(filepath.Join(dst, "r2", "pages-1.img"))
	if err != nil || len(b) != 3*4096 || b[0] != 2 {
		t.Fatalf("received pages: %d bytes, %v", len(b), err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "r2", "parent")); err != nil || l != "../r1" {
		t.Errorf("parent link = %q, %v", l, err)
	}
	for _, p := range []string{filepath.Join(dst, "r2"), filepath.Join(dst, "r2", "pages-1.img")} {
		st, _ := os.Stat(p)
		if want := os.FileMode(0o700); st.IsDir() && st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
		} else if !st.IsDir() && st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, st.Mode().Perm())
		}
	}
	if got, _ := pagesBytes(filepath.Join(dst, "r2")); got != 3*4096 {
		t.Errorf("pagesBytes = %d", got)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dst, ".r*")); len(tmp) > 0 {
		t.Errorf("temporary directories left: %v", tmp)
	}
	// A wrong token is refused.
	_, err = push(context.Background(), srv.Client(), srv.URL+"/v1/incoming/"+testID+"/rounds/1", "bad", func(tw *tar.Writer) (int, error) {
		return addTree(tw, filepath.Join(src, "r1"), "r1")
	})
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "token") {
		t.Errorf("wrong token: err = %v", err)
	}
}

func TestCopyTarAppendsLink(t *testing.T) {
	dir := t.TempDir()
	var src bytes.Buffer
	tw := tar.NewWriter(&src)
	tw.WriteHeader(&tar.Header{Name: "checkpoint/pages-1.img", Typeflag: tar.TypeReg, Size: 4, Mode: 0o600})
	tw.Write([]byte("abcd"))
	tw.Close()
	p := filepath.Join(dir, "export.tar")
	os.WriteFile(p, src.Bytes(), 0o600)
	var out bytes.Buffer
	tw = tar.NewWriter(&out)
	n, err := copyTar(tw, p)
	if err != nil || n != 1 {
		t.Fatalf("copyTar = %d, %v", n, err)
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: preCheckpointDir, Linkname: "chain/r3"})
	tw.Close()
	tr := tar.NewReader(&out)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name+"->"+h.Linkname)
	}
	if got := strings.Join(names, " "); got != "checkpoint/pages-1.img-> pre-checkpoint->chain/r3" {
		t.Errorf("entries = %q", got)
	}
}
