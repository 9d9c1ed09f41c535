package image

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// modulePath is the module whose ./cmd/migrlab-workload BuildWorkloadBinary builds.
const modulePath = "github.com/migrlab/migrlab"

// BuildWorkloadBinary builds ./cmd/migrlab-workload of this module into
// outPath as a static, reproducible Linux binary (CGO_ENABLED=0, -trimpath,
// no build ID or VCS stamp), for the host's architecture unless GOARCH is set
// in the environment. The same Go version and sources give the same bytes, so
// BuildArchive gives the same image ID on every machine that builds it.
//
// The module is found from this source file's location, or else from the
// current directory (`go env GOMOD`); the go command from PATH, or else from
// GOROOT.
func BuildWorkloadBinary(ctx context.Context, outPath string) error {
	goBin, err := goCommand()
	if err != nil {
		return err
	}
	root, err := moduleRoot(ctx, goBin)
	if err != nil {
		return err
	}
	out, err := filepath.Abs(outPath)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=",
		"-o", out, "./cmd/migrlab-workload")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/migrlab-workload in %s: %w\n%s", root, err, b)
	}
	return nil
}

// goCommand returns the go command to run.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		return "", errors.New("no go command on PATH or in GOROOT: install Go to build the workload")
	}
	return p, nil
}

// moduleRoot finds the directory of this module's go.mod.
func moduleRoot(ctx context.Context, goBin string) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if isModuleRoot(root) {
			return filepath.Clean(root), nil
		}
	}
	cmd := exec.CommandContext(ctx, goBin, "env", "GOMOD")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(stdout.String()))
	if !isModuleRoot(root) {
		return "", fmt.Errorf("cannot find the %s sources: run from inside the module (go env GOMOD gave %q)", modulePath, strings.TrimSpace(stdout.String()))
	}
	return root, nil
}

// isModuleRoot reports whether dir holds the go.mod of this module.
func isModuleRoot(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && f[1] == modulePath {
			return true
		}
	}
	return false
}
