package agent

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/migrlab/migrlab/real/softdirty"
)

// cgroupRoot is where the hosts mount the unified cgroup hierarchy.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupDepth bounds how deep killCgroupMembers looks for a container's
// cgroups (machine.slice/libpod-ID.scope/container is three levels down).
const cgroupDepth = 4

// killCgroupMembers kills every process left in the cgroups of container id
// under root (the directories whose name holds the ID: libpod-ID.scope,
// its container child, libpod-conmon-ID.scope) and returns how many there
// were. A CRIU killed mid-restore can leave the tasks it had restored
// so far in the container's cgroup, under the app's own command line (which
// does not name the container, so killLeftovers' pgrep misses them), still
// holding what they inherited: the published ports' sockets among them.
// cgroup v2's cgroup.kill takes the whole cgroup at once; without it each
// listed process gets SIGKILL. It waits up to a second for them to go.
func killCgroupMembers(root, id string) int {
	if !idRE.MatchString(id) {
		return 0
	}
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "." && strings.Count(rel, string(filepath.Separator)) >= cgroupDepth {
			return filepath.SkipDir
		}
		if strings.Contains(d.Name(), id) {
			dirs = append(dirs, p)
		}
		return nil
	})
	var pids []int
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				pids = append(pids, readPids(filepath.Join(p, "cgroup.procs"))...)
			}
			return nil
		})
	}
	if len(pids) == 0 {
		return 0
	}
	for _, dir := range dirs {
		if writeExisting(filepath.Join(dir, "cgroup.kill"), "1") != nil {
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !anyAlive(pids) {
			break
		}
	}
	return len(pids)
}

// writeExisting writes s to the existing file path (a cgroup's control
// file: never created).
func writeExisting(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(s)
	return errors.Join(err, f.Close())
}

// readPids reads a cgroup.procs file (none: no PIDs).
func readPids(path string) []int {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return softdirty.ParsePids(b)
}

// anyAlive reports whether any of pids still runs (a zombie counts as gone).
func anyAlive(pids []int) bool {
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// The state follows the command in parentheses: "PID (comm) S ...".
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] != 'Z' {
			return true
		}
	}
	return false
}
