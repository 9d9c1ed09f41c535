package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildRootfsArchive packs a small root file system: the layer keeps
// its files under clean names without device nodes or /dev contents, the
// config runs the given command, and ArchiveImageID reads back the ID.
func TestBuildRootfsArchive(t *testing.T) {
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs.tar")
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range []*tar.Header{
		{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./dev/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./dev/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3},
		{Name: "./dev/fd", Typeflag: tar.TypeSymlink, Linkname: "/proc/self/fd"},
		{Name: "./usr/bin/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "./usr/bin/redis-server", Typeflag: tar.TypeReg, Mode: 0o755, Size: 5},
		{Name: "./usr/bin/redis-check-rdb", Typeflag: tar.TypeLink, Linkname: "./usr/bin/redis-server"},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte("hello"))
		}
	}
	tw.Close()
	if err := os.WriteFile(rootfs, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "app.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	id, err := BuildRootfsArchive(f, rootfs, "localhost/migrlab-redis", RunConfig{Cmd: []string{"redis-server"}, Ports: []int{6379}}, dir)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	gotID, tags, err := ArchiveImageID(archive)
	if err != nil || gotID != id || len(tags) != 1 || tags[0] != "localhost/migrlab-redis:latest" {
		t.Fatalf("ArchiveImageID = %s %v %v, built %s", gotID, tags, err, id)
	}
	files := readTarFile(t, archive)
	var cfg struct {
		Config struct {
			Cmd []string
			Env []string
		} `json:"config"`
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(files[strings.TrimPrefix(id, "sha256:")+".json"], &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Config.Cmd) != 1 || cfg.Config.Cmd[0] != "redis-server" || !strings.HasPrefix(cfg.Config.Env[0], "PATH=") {
		t.Errorf("config %+v", cfg.Config)
	}
	diff := strings.TrimPrefix(cfg.RootFS.DiffIDs[0], "sha256:")
	layer := files[diff+"/layer.tar"]
	if sum := sha256.Sum256(layer); hex.EncodeToString(sum[:]) != diff {
		t.Fatal("the layer's digest is not its diff ID")
	}
	var names []string
	lr := tar.NewReader(bytes.NewReader(layer))
	for {
		h, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name+">"+h.Linkname)
	}
	if got := strings.Join(names, " "); got != "dev/> usr/bin/> usr/bin/redis-server> usr/bin/redis-check-rdb>usr/bin/redis-server" {
		t.Errorf("layer entries: %s", got)
	}
	if _, _, err := ArchiveImageID(rootfs); err == nil {
		t.Error("a root file system read as an image archive")
	}
}

func readTarFile(t *testing.T, file string) map[string][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out[h.Name] = b
	}
}
