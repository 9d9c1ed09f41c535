package agent

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKillCgroupMembersKillsWhatARestoreLeft: processes listed in a
// container's cgroups (here a fake hierarchy without cgroup.kill, so each
// gets SIGKILL) are killed, those of another container's cgroup are not,
// and a container without cgroups kills nothing.
func TestKillCgroupMembersKillsWhatARestoreLeft(t *testing.T) {
	id := strings.Repeat("ab", 32)
	other := strings.Repeat("cd", 32)
	root := t.TempDir()
	// Each process is waited for by one goroutine, whose result comes on
	// its channel; the test's end kills those still running.
	exited := map[*exec.Cmd]chan error{}
	start := func() *exec.Cmd {
		c := exec.Command("sleep", "60")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		ch := make(chan error, 1)
		go func() { ch <- c.Wait() }()
		exited[c] = ch
		t.Cleanup(func() { c.Process.Kill() })
		return c
	}
	leftover, conmon, bystander := start(), start(), start()
	for dir, pids := range map[string][]*exec.Cmd{
		"machine.slice/libpod-" + id + ".scope/container": {leftover},
		"machine.slice/libpod-conmon-" + id + ".scope":    {conmon},
		"machine.slice/libpod-" + other + ".scope":        {bystander},
	} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, c := range pids {
			b.WriteString(strconv.Itoa(c.Process.Pid) + "\n")
		}
		if err := os.WriteFile(filepath.Join(root, dir, "cgroup.procs"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w1, w2, w3 := exited[leftover], exited[conmon], exited[bystander]
	if n := killCgroupMembers(root, id); n != 2 {
		t.Errorf("killed %d processes, want 2", n)
	}
	for i, w := range []chan error{w1, w2} {
		select {
		case <-w:
		case <-time.After(5 * time.Second):
			t.Errorf("process %d of the container's cgroups still runs", i)
		}
	}
	select {
	case <-w3:
		t.Error("another container's process was killed")
	case <-time.After(200 * time.Millisecond):
	}
	if n := killCgroupMembers(root, strings.Repeat("ef", 32)); n != 0 {
		t.Errorf("a container without cgroups: %d killed", n)
	}
	if n := killCgroupMembers(root, "../etc"); n != 0 {
		t.Errorf("not an ID: %d killed", n)
	}
}
