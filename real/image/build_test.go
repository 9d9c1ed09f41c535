package image

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

// TestBuildWorkloadBinary builds the workload twice (reproducibly), archives
// it, and runs the binary: it must answer a probe and exit 0 on SIGTERM.
func TestBuildWorkloadBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the workload with the go command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		if err := BuildWorkloadBinary(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	binA, _ := os.ReadFile(a)
	binB, _ := os.ReadFile(b)
	if len(binA) == 0 || !bytes.Equal(binA, binB) {
		t.Fatalf("two builds differ (%d and %d bytes)", len(binA), len(binB))
	}
	id, err := BuildArchive(io.Discard, a, DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	_, entries := readTar(t, mustArchive(t, a))
	for name, e := range entries {
		if filepath.Ext(name) == ".json" && name != "manifest.json" && !bytes.Contains(e.data, []byte(`"architecture":"`+runtime.GOARCH+`"`)) {
			t.Errorf("config %s lacks architecture %s", e.data, runtime.GOARCH)
		}
	}
	t.Logf("workload binary %d bytes, image ID %s", len(binA), id)

	cmd := exec.CommandContext(ctx, a, "--mem", "4MiB", "--rate", "100p/s", "--port", "0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	if !sc.Scan() {
		t.Fatal("no start line from the workload")
	}
	m := regexp.MustCompile(`nonce=([0-9a-f]{16}) listen=\S*:(\d+) `).FindStringSubmatch(sc.Text())
	if m == nil {
		t.Fatalf("start line %q", sc.Text())
	}
	r, err := probe.Probe(ctx, "127.0.0.1:"+m[2])
	if err != nil {
		t.Fatal(err)
	}
	if r.Nonce.String() != m[1] || r.Seq != 1 {
		t.Errorf("reply %+v, want nonce %s and seq 1", r, m[1])
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for sc.Scan() { // read to EOF before Wait
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}

func mustArchive(t *testing.T, bin string) []byte {
	var b bytes.Buffer
	if _, err := BuildArchive(&b, bin, DefaultName); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestNoPodmanDependency keeps the workload side free of the podman bindings
// (which need build tags and C libraries): it must build anywhere.
func TestNoPodmanDependency(t *testing.T) {
	goBin, err := goCommand()
	if err != nil {
		t.Skip(err)
	}
	pkgs := []string{"./cmd/migrlab-workload", "./real/workload", "./real/probe", "./real/image", "./real/softdirty"}
	cmd := exec.Command(goBin, append([]string{"list", "-deps", "-test"}, pkgs...)...)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/containers/") {
			t.Errorf("%v depend on %s", pkgs, dep)
		}
	}
}
