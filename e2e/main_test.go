//go:build e2e

// TestMain brings up ONE local testbed (two QEMU VMs with podman, runc and
// CRIU, provisioned by Terraform through package infra) for the whole
// package, shares it with every test through requireTestbed, and tears it
// down afterwards, failing the run if any VM process or testbed file is left.
//
// Run with scripts/e2e.sh. Environment:
//
//	MIGRLAB_E2E_UP_TIMEOUT   bring-up timeout (Go duration, default 25m)
//	MIGRLAB_E2E_ACCEL        auto|kvm|tcg (default auto)
//	MIGRLAB_E2E_IMAGE_CACHE  guest image cache (default ~/.cache/migrlab/images)

package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/testbed"
)

// testbedName is the name of the shared testbed.
const testbedName = "e2e"

var (
	// shared is the shared testbed, nil if bring-up failed.
	shared *testbed.Testbed
	// testbedSpec is the Spec the shared testbed was brought up with.
	testbedSpec infra.Spec
	// testCtx is cancelled on SIGINT/SIGTERM; tests derive their contexts from it.
	testCtx context.Context = context.Background()
)

// requireTestbed returns the shared testbed or fails the test.
func requireTestbed(t *testing.T) *testbed.Testbed {
	t.Helper()
	if shared == nil {
		t.Fatal("e2e: no testbed (bring-up failed; see the TestMain output)")
	}
	return shared
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
}

func run(m *testing.M) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	testCtx = ctx

	cleanStale()
	// A short path: the private link's unix sockets live under it.
	stateRoot, err := os.MkdirTemp("", "migrlab-e2e-")
	if err != nil {
		logf("%v", err)
		return 1
	}
	// Marks this run's testbed as alive for cleanStale of concurrent runs.
	if err := os.WriteFile(filepath.Join(stateRoot, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		logf("%v", err)
		return 1
	}
	down := func() int {
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		rc := 0
		if err := infra.Down(dctx, testbedName, infra.WithStateDir(stateRoot), infra.WithProgress(os.Stderr)); err != nil {
			logf("FAIL: testbed down: %v", err)
			rc = 1
		}
		if rc2 := verifyGone(stateRoot); rc2 != 0 {
			rc = rc2
		}
		os.RemoveAll(stateRoot)
		return rc
	}
	// go test -timeout panics without running deferred cleanup: tear down before it.
	if d := testTimeout(); d > 0 {
		t := time.AfterFunc(d-4*time.Minute, func() {
			logf("FAIL: close to the go test -timeout (%v): tearing the testbed down", d)
			down()
			os.Exit(1)
		})
		defer t.Stop()
	}

	upTimeout := 25 * time.Minute
	if v := os.Getenv("MIGRLAB_E2E_UP_TIMEOUT"); v != "" {
		if upTimeout, err = time.ParseDuration(v); err != nil {
			logf("MIGRLAB_E2E_UP_TIMEOUT: %v", err)
			return 1
		}
	}
	archive, err := busyboxArchive(stateRoot)
	if err != nil {
		logf("FAIL: test image: %v", err)
		return 1
	}
	spec := infra.Spec{
		ImageArchives: []string{archive},
		Name:          testbedName,
		Hosts:         2,
		Accel:         infra.Accel(os.Getenv("MIGRLAB_E2E_ACCEL")),
		StateDir:      stateRoot,
		ImageCacheDir: os.Getenv("MIGRLAB_E2E_IMAGE_CACHE"),
		Progress:      os.Stderr,
	}
	logf("bringing up testbed %q in %s (timeout %v)", testbedName, stateRoot, upTimeout)
	start := time.Now()
	uctx, cancel := context.WithTimeout(ctx, upTimeout)
	tb, err := infra.Up(uctx, spec)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			logf("FAIL: testbed bring-up exceeded %v", upTimeout)
		}
		logf("FAIL: testbed up: %v", err)
		down()
		return 1
	}
	logf("testbed up in %.0fs (accel %s): %d hosts", time.Since(start).Seconds(), tb.Accel, len(tb.Hosts))
	shared, testbedSpec = tb, spec

	code = m.Run()
	if rc := down(); rc != 0 {
		code = rc
	}
	return code
}

// testTimeout is the -test.timeout of this run (0: none).
func testTimeout() time.Duration {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0
	}
	d, _ := time.ParseDuration(f.Value.String())
	return d
}

// verifyGone fails unless no process and no file of the testbed is left.
func verifyGone(stateRoot string) int {
	rc := 0
	if pids := testbedProcesses(stateRoot); len(pids) > 0 {
		logf("FAIL: processes of the testbed still running after down: %v", pids)
		rc = 1
	}
	dir := filepath.Join(stateRoot, "testbeds", testbedName)
	if _, err := os.Stat(dir); err == nil {
		logf("FAIL: testbed directory %s still exists after down", dir)
		rc = 1
	}
	if rc == 0 {
		logf("teardown verified: no VM process, no testbed file left")
	}
	return rc
}

// testbedProcesses lists live processes (VMs, link hub) that belong to the
// testbed under stateRoot: their command line names the state root.
func testbedProcesses(stateRoot string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue // gone, or a zombie waiting for its parent
		}
		c := string(b)
		if strings.Contains(c, stateRoot) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cleanStale tears down testbeds left by an e2e run that was killed
// (e.g. by a go test timeout): their VMs are daemons that outlive it.
// A testbed whose owning test process still runs is left alone.
func cleanStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "migrlab-e2e-*"))
	for _, d := range dirs {
		if b, err := os.ReadFile(filepath.Join(d, "owner.pid")); err == nil {
			if pid, err := strconv.Atoi(string(b)); err == nil && syscall.Kill(pid, 0) == nil {
				continue
			}
		}
		logf("cleaning a stale e2e testbed in %s", d)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		if err := infra.Down(ctx, testbedName, infra.WithStateDir(d), infra.WithProgress(os.Stderr)); err != nil {
			logf("stale testbed %s: %v", d, err)
		}
		cancel()
		os.RemoveAll(d)
	}
}
