package infra

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// localDeps maps each command the local backend runs to its Debian package.
var localDeps = map[string]string{
	"qemu-system-x86_64": "qemu-system-x86",
	"qemu-img":           "qemu-utils",
	"mmdebstrap":         "mmdebstrap",
	"mkfs.ext4":          "e2fsprogs",
	"ssh":                "openssh-client",
	"ssh-keygen":         "openssh-client",
	"vde_switch":         "vde2",
	"flock":              "util-linux",
	"tar":                "tar",
}

// MissingLocalDeps returns the Debian packages whose commands the local
// backend needs but cannot find on PATH.
func MissingLocalDeps() []string {
	set := map[string]bool{}
	for cmd, pkg := range localDeps {
		if _, err := exec.LookPath(cmd); err != nil {
			set[pkg] = true
		}
	}
	var pkgs []string
	for p := range set {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	return pkgs
}

// EnsureLocalDeps installs the missing packages of the local backend with
// apt-get (as root), saying so on w, or explains how to install them.
func EnsureLocalDeps(ctx context.Context, w io.Writer) error {
	pkgs := MissingLocalDeps()
	if len(pkgs) == 0 {
		return nil
	}
	if w == nil {
		w = io.Discard
	}
	list := strings.Join(pkgs, " ")
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return fmt.Errorf("infra: the local testbed needs these packages: %s; install them as root: apt-get install -y %s", list, list)
	}
	fmt.Fprintf(w, "migrlab: installing missing packages for the local testbed: %s (apt-get)\n", list)
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("infra: apt-get %s: %w\n%s", args[0], err, lastLines(string(out), 20))
		}
		return nil
	}
	if err := run("update", "-qq"); err != nil {
		return err
	}
	if err := run(append([]string{"install", "-y", "-qq", "--no-install-recommends"}, pkgs...)...); err != nil {
		return err
	}
	if still := MissingLocalDeps(); len(still) > 0 {
		return fmt.Errorf("infra: still missing after apt-get install: %s", strings.Join(still, " "))
	}
	return nil
}
