package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestPushRoundRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "chain")
	writeRound(t, filepath.Join(src, "r2"), 2)
	dst := filepath.Join(t.TempDir(), "chain")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(TokenHeader) != "tok" {
			writeErr(w, statusErr(http.StatusForbidden, io.EOF))
			return
		}
		if _, err := extractRound(r.Body, dst, 2); err != nil {
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tr, err := push(context.Background(), srv.Client(), srv.URL+"/x", "tok", func(tw *tar.Writer) (int, error) {
		return addTree(tw, filepath.Join(src, "r2"), "r2")
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Files != 2 || tr.Bytes < 3*4096 || tr.Time <= 0 {
		t.Errorf("transfer = %+v, want 2 files, >= 12288 bytes", tr)
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
	// A wrong token is refused.
	_, err = push(context.Background(), srv.Client(), srv.URL+"/x", "bad", func(tw *tar.Writer) (int, error) {
		return addTree(tw, filepath.Join(src, "r2"), "r2")
	})
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("wrong token: err = %v", err)
	}
}

func TestExtractRoundRefuses(t *testing.T) {
	entry := func(h *tar.Header, body string) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		h.Size = int64(len(body))
		if h.Mode == 0 {
			h.Mode = 0o600
		}
		h.ModTime = time.Unix(0, 0)
		tw.WriteHeader(h)
		io.WriteString(tw, body)
		tw.Close()
		return b.Bytes()
	}
	for name, tarball := range map[string][]byte{
		"outside":     entry(&tar.Header{Name: "r1/../../etc/x", Typeflag: tar.TypeReg}, "x"),
		"other round": entry(&tar.Header{Name: "r2/pages-1.img", Typeflag: tar.TypeReg}, "x"),
		"absolute":    entry(&tar.Header{Name: "/r3/x", Typeflag: tar.TypeReg}, "x"),
		"symlink":     entry(&tar.Header{Name: "r3/parent", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, ""),
		"other link":  entry(&tar.Header{Name: "r3/x", Typeflag: tar.TypeSymlink, Linkname: "../r2"}, ""),
		"hard link":   entry(&tar.Header{Name: "r3/x", Typeflag: tar.TypeLink, Linkname: "r3/y"}, ""),
		"device":      entry(&tar.Header{Name: "r3/x", Typeflag: tar.TypeChar}, ""),
		"not a tar":   []byte("garbage that is not a tar stream at all, long enough to fill a header block........"),
	} {
		dir := t.TempDir()
		if _, err := extractRound(bytes.NewReader(tarball), dir, 3); err == nil {
			t.Errorf("%s: accepted", name)
		}
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
