package infra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/migrlab/migrlab/testbed"
)

// Option adjusts Status and Down.
type Option func(*options)

type options struct {
	stateDir  string
	progress  io.Writer
	terraform string
}

// WithStateDir sets the state root (default StateRoot()).
func WithStateDir(dir string) Option { return func(o *options) { o.stateDir = dir } }

// WithProgress sends progress lines to w.
func WithProgress(w io.Writer) Option { return func(o *options) { o.progress = w } }

// WithTerraform sets the terraform or tofu binary.
func WithTerraform(path string) Option { return func(o *options) { o.terraform = path } }

func collectOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Down destroys testbed name and removes its directory. For the local and ssh
// backends it always cleans up: when Terraform is missing or its destroy fails
// (e.g. after a crash or Ctrl-C during Up) it kills leftover VM processes by
// their pidfiles and removes the files anyway. For aws a failed destroy keeps
// the state (it is the only record of the cloud resources) and returns the error.
// Down of a testbed that does not exist returns nil.
func Down(ctx context.Context, name string, opts ...Option) error {
	o := collectOptions(opts)
	l, err := newLayout(o.stateDir, name)
	if err != nil {
		return err
	}
	p := newProgress(o.progress, name)
	if !fileExists(l.dir()) {
		p.printf("not present, nothing to do")
		return nil
	}
	unlock, err := l.lock("migrlab testbed down")
	if err != nil {
		return err
	}
	defer unlock()

	backend := testbed.BackendLocal
	if sp, err := l.readSpec(); err == nil {
		backend = sp.Backend
	}
	if backend != testbed.BackendLocal {
		l.clearShaping(ctx, p)
	}
	destroyErr := l.destroy(ctx, backend, o.terraform, p)
	if destroyErr != nil {
		p.printf("terraform destroy failed: %v", firstLine(destroyErr.Error()))
		if backend == testbed.BackendAWS {
			return destroyErr
		}
	}
	if err := l.killLeftovers(p); err != nil {
		return err
	}
	if err := os.RemoveAll(l.dir()); err != nil {
		return fmt.Errorf("infra: removing %s: %w", l.dir(), err)
	}
	os.Remove(testbed.LockPath(l.dir()))
	p.printf("down in %.0fs", p.elapsed().Seconds())
	return nil
}

// destroy runs terraform destroy if there is state to destroy.
func (l layout) destroy(ctx context.Context, b testbed.Backend, bin string, p *progress) error {
	if !fileExists(l.stateFile(b)) {
		return nil
	}
	bin, err := FindTerraform(bin)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(l.logFile(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n==== down %s %s ====\n", l.name, time.Now().Format(time.RFC3339))
	tf, err := newTerraform(bin, l.workdir(b), io.MultiWriter(logf, &scriptLines{p: p}))
	if err != nil {
		return err
	}
	p.printf("terraform destroy (%s)", b)
	if !fileExists(filepath.Join(l.workdir(b), ".terraform")) {
		if err := l.writeModules(); err != nil {
			return err
		}
		if err := tf.Init(ctx); err != nil {
			return l.tfError("init", err)
		}
	}
	if err := tf.Destroy(ctx, destroyOptions()...); err != nil {
		return l.tfError("destroy", err)
	}
	return nil
}

// destroyOptions drop the local files a destroy does not need (image
// archives, agent binary, agent certificates): they may be gone since Up,
// and the modules check that they exist.
func destroyOptions() []tfexec.DestroyOption {
	return []tfexec.DestroyOption{tfexec.Var("image_archives=[]"), tfexec.Var("agent_binary="), tfexec.Var("agent_tls_dir=")}
}

// killLeftovers stops every process recorded by a pidfile under run/ (VMs and
// the link hub) whose command line shows it belongs to this testbed.
func (l layout) killLeftovers(p *progress) error {
	var pidfiles []string
	filepath.WalkDir(l.runDir(), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".pid") {
			pidfiles = append(pidfiles, path)
		}
		return nil
	})
	var errs []error
	for _, pf := range pidfiles {
		pid, ok := l.ownedPID(pf)
		if !ok {
			continue
		}
		p.printf("killing leftover process %d (%s)", pid, filepath.Base(filepath.Dir(pf))+"/"+filepath.Base(pf))
		if err := stopProcess(pid, 15*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	// Belt and braces: any process whose command line names the testbed dir
	// (a VM whose pidfile was lost, a boot script of an interrupted up) goes too.
	for _, pid := range processesMentioning(l.dir() + string(filepath.Separator)) {
		p.printf("killing leftover process %d (no pidfile)", pid)
		if err := stopProcess(pid, 15*time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// processesMentioning lists live processes whose command line contains s.
func processesMentioning(s string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), s) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ownedPID reads a pidfile and reports whether that process is alive and is
// one of this testbed's (its command line names the testbed or its run dir).
func (l layout) ownedPID(pidfile string) (int, bool) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return 0, false
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return 0, false
	}
	c := string(cmd)
	return pid, strings.Contains(c, l.runDir()) || strings.Contains(c, "migrlab-"+l.name+"-vm")
}

// stopProcess sends SIGTERM, waits up to grace, then SIGKILL, and waits for exit.
func stopProcess(pid int, grace time.Duration) error {
	gone := func() bool {
		if err := syscall.Kill(pid, 0); err != nil {
			return true
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err != nil || strings.Contains(string(b), ") Z ")
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for deadline := time.Now().Add(grace); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if gone() {
			return nil
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if gone() {
			return nil
		}
	}
	return fmt.Errorf("infra: process %d does not exit", pid)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// clearShaping removes migrlab's link shaping from the hosts of a testbed on
// servers that outlive it (a migration killed mid-way may have left it). A
// host that cannot be reached is reported and skipped: down goes on.
func (l layout) clearShaping(ctx context.Context, p *progress) {
	tb, err := l.readTestbed()
	if err != nil {
		return
	}
	for _, h := range tb.Hosts {
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		cmd := "sh -c " + shellQuote(testbed.ClearShapingScript)
		if h.SSHUser != "root" {
			cmd = "sudo -n " + cmd
		}
		out, _, err := h.Run(hctx, cmd)
		cancel()
		switch {
		case err != nil:
			p.printf("%s: could not check for link shaping (%s); if a migration was killed there, run as root: tc qdisc del dev DEV root", h.Name, firstLine(err.Error()))
		case strings.HasPrefix(string(out), "cleared"):
			p.printf("%s: link shaping removed (%s)", h.Name, strings.TrimSpace(string(out)))
		}
	}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
