//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/system"
	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/testbed"
)

// sshRun runs cmd on h with a timeout and fails the test on error.
func sshRun(t *testing.T, h testbed.Host, timeout time.Duration, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx, timeout)
	defer cancel()
	out, stderr, err := h.Run(ctx, cmd)
	if err != nil {
		t.Fatalf("%s: %q: %v\nstdout: %s\nstderr: %s", h.Name, cmd, err, out, stderr)
	}
	return string(out) + string(stderr)
}

func TestPodmanAPIVersion(t *testing.T) {
	tb := requireTestbed(t)
	for _, h := range tb.Hosts {
		t.Run(h.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(testCtx, 3*time.Minute)
			defer cancel()
			uri, closeTunnel, err := h.PodmanTunnel(ctx)
			if err != nil {
				t.Fatalf("podman tunnel: %v", err)
			}
			defer closeTunnel()
			conn, err := bindings.NewConnection(ctx, uri)
			if err != nil {
				t.Fatalf("podman connection over %s: %v", uri, err)
			}
			v, err := system.Version(conn, nil)
			if err != nil {
				t.Fatalf("podman version: %v", err)
			}
			if v.Server == nil || !strings.HasPrefix(v.Server.Version, "4.") {
				t.Fatalf("podman API version = %+v, want 4.x", v.Server)
			}
			t.Logf("%s: podman API %s (API %s)", h.Name, v.Server.Version, v.Server.APIVersion)
		})
	}
}

func TestCRIUCheck(t *testing.T) {
	tb := requireTestbed(t)
	for _, h := range tb.Hosts {
		t.Run(h.Name, func(t *testing.T) {
			if out := sshRun(t, h, 2*time.Minute, "criu check"); !strings.Contains(out, "Looks good") {
				t.Errorf("criu check: %q, want \"Looks good\"", out)
			}
			out := sshRun(t, h, 2*time.Minute, "criu check --feature mem_dirty_track")
			t.Logf("%s: mem_dirty_track: %s", h.Name, strings.TrimSpace(out))
		})
	}
}

func TestPrivateLinkPing(t *testing.T) {
	tb := requireTestbed(t)
	for _, from := range tb.Hosts {
		for _, to := range tb.Hosts {
			if from.Name == to.Name {
				continue
			}
			t.Run(from.Name+"->"+to.Name, func(t *testing.T) {
				sshRun(t, from, time.Minute, "ping -c 2 -W 5 "+to.PrivateAddr)
			})
		}
	}
}

func TestFacts(t *testing.T) {
	tb := requireTestbed(t)
	if tb.Accel != "kvm" && tb.Accel != "tcg" {
		t.Errorf("accel = %q, want kvm or tcg", tb.Accel)
	}
	for _, h := range tb.Hosts {
		f := h.Facts
		if f.Kernel == "" || f.Podman == "" || f.CRIU == "" || f.RuntimeVersion == "" {
			t.Errorf("%s: incomplete facts %+v", h.Name, f)
		}
		if f.Runtime != "runc" || f.THP != "madvise" || f.Accel != tb.Accel {
			t.Errorf("%s: facts %+v: want runtime runc, thp madvise, accel %s", h.Name, f, tb.Accel)
		}
		t.Logf("%s: %+v", h.Name, f)
	}
}

func TestUpIsIdempotent(t *testing.T) {
	tb := requireTestbed(t)
	ctx, cancel := context.WithTimeout(testCtx, 10*time.Minute)
	defer cancel()
	pids := func() string {
		var b strings.Builder
		for _, h := range tb.Hosts {
			p, _ := os.ReadFile(filepath.Join(tb.Dir, "run", h.Name, "qemu.pid"))
			b.WriteString(strings.TrimSpace(string(p)) + " ")
		}
		return b.String()
	}
	before := pids()
	spec := testbedSpec
	spec.Progress = nil
	start := time.Now()
	again, err := infra.Up(ctx, spec)
	if err != nil {
		t.Fatalf("second Up: %v", err)
	}
	if len(again.Hosts) != len(tb.Hosts) {
		t.Fatalf("second Up: %d hosts, want %d", len(again.Hosts), len(tb.Hosts))
	}
	for i := range tb.Hosts {
		a, b := tb.Hosts[i], again.Hosts[i]
		if a.SSHPort != b.SSHPort || a.HostKey != b.HostKey || a.PrivateAddr != b.PrivateAddr {
			t.Errorf("host %d changed: %+v -> %+v", i, a, b)
		}
	}
	if after := pids(); after != before {
		t.Errorf("second Up restarted VMs: qemu pids %s -> %s", before, after)
	}
	t.Logf("second Up (no changes) took %.0fs", time.Since(start).Seconds())
	st, err := infra.Status(ctx, tb.Name, infra.WithStateDir(spec.StateDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st.Hosts {
		if h.State != "up" {
			t.Errorf("status %s: %s", h.Name, h.State)
		}
	}
}

func TestSameImageIDOnEveryHost(t *testing.T) {
	tb := requireTestbed(t)
	var first string
	for _, h := range tb.Hosts {
		out := sshRun(t, h, 2*time.Minute, "podman image inspect --format '{{.Id}}' "+testImage)
		id := strings.TrimSpace(out)
		if id == "" {
			t.Fatalf("%s: no image %s", h.Name, testImage)
		}
		if first == "" {
			first = id
		} else if id != first {
			t.Errorf("%s: image ID %s, first host has %s", h.Name, id, first)
		}
	}
	t.Logf("%s: %s on all %d hosts", testImage, first, len(tb.Hosts))
}

// TestPodmanServiceStaysUp checks that the podman API service does not exit
// between requests (configure.sh runs it with --time=0): a restarted service
// would put a podman start-up into the next measured migration step.
func TestPodmanServiceStaysUp(t *testing.T) {
	tb := requireTestbed(t)
	for _, h := range tb.Hosts {
		t.Run(h.Name, func(t *testing.T) {
			exec := sshRun(t, h, time.Minute, "systemctl show -p ExecStart --value podman.service")
			if !strings.Contains(exec, "--time=0") {
				t.Fatalf("podman.service runs %q, want --time=0", strings.TrimSpace(exec))
			}
			pid := func() string {
				return strings.TrimSpace(sshRun(t, h, time.Minute, "systemctl show -p MainPID --value podman.service"))
			}
			before := pid()
			time.Sleep(8 * time.Second) // the default service timeout is 5 s
			if after := pid(); before == "0" || after != before {
				t.Errorf("podman.service main PID %s, then %s after 8 s idle: want one long-running service", before, after)
			}
		})
	}
}

// TestNoTimersInLocalGuests checks that the local image has no periodic jobs
// that could fire during a measurement.
func TestNoTimersInLocalGuests(t *testing.T) {
	tb := requireTestbed(t)
	for _, h := range tb.Hosts {
		out := sshRun(t, h, time.Minute, "systemctl list-timers --no-legend --no-pager | grep -c . || true")
		if n := strings.TrimSpace(out); n != "0" {
			t.Errorf("%s: %s active timers, want none: %s", h.Name, n, sshRun(t, h, time.Minute, "systemctl list-timers --no-pager"))
		}
	}
}

// TestLocalGuestsUseNetavark checks that podman on the local image sets up
// container networks with netavark (one process per setup or teardown, not one
// per CNI plugin: seconds of every checkpoint and restore under TCG), and that
// the preflight records it in the host facts.
func TestLocalGuestsUseNetavark(t *testing.T) {
	tb := requireTestbed(t)
	for _, h := range tb.Hosts {
		if got := strings.TrimSpace(sshRun(t, h, time.Minute, "podman info --format '{{.Host.NetworkBackend}}'")); got != "netavark" {
			t.Errorf("%s: podman network backend %q, want netavark", h.Name, got)
		}
		if h.Facts.NetworkBackend != "netavark" {
			t.Errorf("%s: facts.network_backend %q, want netavark", h.Name, h.Facts.NetworkBackend)
		}
	}
}

// TestLocalTCGGuestsRunWithoutASLR checks that local guests under TCG boot with
// norandmaps (QEMU then reuses the translated code of podman, runc, CRIU and
// netavark across processes: a third of every checkpoint and restore), and that
// the preflight records it in the host facts.
func TestLocalTCGGuestsRunWithoutASLR(t *testing.T) {
	tb := requireTestbed(t)
	want, wantFact := "2", "on"
	if tb.Accel == "tcg" {
		want, wantFact = "0", "off"
	}
	for _, h := range tb.Hosts {
		if got := strings.TrimSpace(sshRun(t, h, time.Minute, "cat /proc/sys/kernel/randomize_va_space")); got != want {
			t.Errorf("%s (%s): randomize_va_space %q, want %s", h.Name, tb.Accel, got, want)
		}
		if h.Facts.ASLR != wantFact {
			t.Errorf("%s: facts.aslr %q, want %s", h.Name, h.Facts.ASLR, wantFact)
		}
	}
}
