//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/internal/cli"
	"github.com/migrlab/migrlab/testbed"
	ucli "github.com/urfave/cli/v2"
)

// TestSecondRunIsRefusedWhileOneMigrates: while `migrlab run` migrates a
// container on the testbed, a second `migrlab run` of the same container
// fails at once naming the first (the testbed's lock), without touching
// the hosts, and the first migration completes.
func TestSecondRunIsRefusedWhileOneMigrates(t *testing.T) {
	bin := migrlabBinary(t)
	ctx, cancel := context.WithTimeout(testCtx, 10*time.Minute)
	defer cancel()
	dir := t.TempDir()
	scen := filepath.Join(dir, "twice.yaml")
	if err := os.WriteFile(scen, []byte("name: e2e-twice\nmemory: {size: 8MiB}\nworkload: {dirty_rate: 256KiB/s, wws: 4MiB}\n"+
		"techniques: [cold]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--testbed", testbedName, "--state-dir", testbedSpec.StateDir, "--warmup", "2s", "--step-timeout", "4m", "-s", scen}
	first := exec.CommandContext(ctx, bin, append(args, "-o", filepath.Join(dir, "first.jsonl"))...)
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	lock := testbed.LockPath(filepath.Join(testbedSpec.StateDir, "testbeds", testbedName))
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		if b, _ := os.ReadFile(lock); strings.Contains(string(b), "migrlab run") {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatalf("the first run never took the testbed's lock %s:\n%s", lock, firstOut.String())
		}
	}
	start := time.Now()
	app := cli.App()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	app.ExitErrHandler = func(*ucli.Context, error) {}
	err := app.RunContext(ctx, append([]string{"migrlab"}, append(args, "-o", filepath.Join(dir, "second.jsonl"))...))
	if !errors.Is(err, testbed.ErrBusy) || !strings.Contains(err.Error(), "migrlab run (pid ") || time.Since(start) > 30*time.Second {
		t.Errorf("second run: %v after %s, want the testbed busy with the first run, at once\n%s", err, time.Since(start), out.String())
	}
	if err := first.Wait(); err != nil {
		t.Errorf("the first run failed: %v\n%s", err, firstOut.String())
	}
	if !strings.Contains(firstOut.String(), "memory verified on") {
		t.Errorf("the first run did not complete its migration:\n%s", firstOut.String())
	}
}
