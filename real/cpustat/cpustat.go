// Package cpustat reads a Linux machine's aggregate CPU times from /proc/stat
// and turns two readings into the shares of the time between them that were
// busy and stolen. The orchestrator reads its own (package real), and every
// agent reads its host's on request (GET /v1/cpu), so that a real migration
// records the load on the machine running the VMs and in the guests. An
// agent adds the CPU time of the migration's own control groups (its
// containers, podman, itself): the rest of the busy time is other work.
package cpustat

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcStat is where a Linux machine keeps its CPU times.
const ProcStat = "/proc/stat"

// Times are a machine's aggregate CPU times (the first "cpu" line of
// /proc/stat, in clock ticks since boot): all of them, idle (idle and
// iowait) and stolen (the hypervisor under the machine running something
// else).
type Times struct {
	Total uint64 `json:"total"`
	Idle  uint64 `json:"idle"`
	Steal uint64 `json:"steal"`
	// Own is the CPU time, in the same ticks, of the control groups that
	// run the migration and its workloads (see ReadOwn); 0: not measured.
	Own uint64 `json:"own,omitempty"`
}

// TicksPerSecond is USER_HZ, the unit of /proc/stat: 100 on every Linux ABI.
const TicksPerSecond = 100

// ReadOwn returns the CPU time (ticks) used by the cgroup v2 groups under
// root (for example "machine.slice"), from the usage_usec of their
// cpu.stat: a group's count includes its children, the removed ones too. A
// group that does not exist has used nothing (systemd creates machine.slice
// with the host's first container). ok is false on a machine without
// cgroup v2 at root, or when an existing group's count cannot be read, so
// that the sum never silently leaves a part out.
func ReadOwn(root string, groups []string) (ticks uint64, ok bool) {
	if len(groups) == 0 {
		return 0, false
	}
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
		return 0, false
	}
	var usec uint64
	for _, g := range groups {
		dir := filepath.Join(root, g)
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			continue
		}
		u, ok := usageUsec(filepath.Join(dir, "cpu.stat"))
		if !ok {
			return 0, false
		}
		usec += u
	}
	return usec * TicksPerSecond / 1e6, true
}

// usageUsec reads the usage_usec line of a cgroup v2 cpu.stat file.
func usageUsec(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(line, "usage_usec "); found {
			u, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return u, err == nil
		}
	}
	return 0, false
}

// SelfCgroup returns the cgroup v2 group of the calling process relative to
// the hierarchy's root, from the "0::" line of the proc cgroup file at
// path ("/proc/self/cgroup"); ok is false on a cgroup v1 machine.
func SelfCgroup(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if g, found := strings.CutPrefix(line, "0::"); found && g != "" {
			return strings.TrimPrefix(g, "/"), true
		}
	}
	return "", false
}

// Read parses the first "cpu" line of the proc stat file at path; ok is
// false when it cannot be read or is not one.
func Read(path string) (t Times, ok bool) {
	f, err := os.Open(path)
	if err != nil {
		return Times{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return Times{}, false
	}
	fields := strings.Fields(sc.Text())
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]
	if len(fields) < 9 || fields[0] != "cpu" {
		return Times{}, false
	}
	for i, s := range fields[1:9] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return Times{}, false
		}
		t.Total += v
		switch i {
		case 3, 4: // idle, iowait
			t.Idle += v
		case 7:
			t.Steal = v
		}
	}
	return t, true
}

// Shares returns the fractions of CPU time from a to b that were busy
// (neither idle nor stolen) and stolen; ok is false when no time passed or
// the times went backwards (another boot).
func Shares(a, b Times) (busy, steal float64, ok bool) {
	if b.Total <= a.Total || b.Idle < a.Idle || b.Steal < a.Steal {
		return 0, 0, false
	}
	d := float64(b.Total - a.Total)
	steal = float64(b.Steal-a.Steal) / d
	busy = 1 - float64(b.Idle-a.Idle)/d - steal
	return max(busy, 0), steal, true
}

// OtherShare returns the fraction of CPU time from a to b that was busy
// outside the groups Own counts: other work on the machine. ok is false when
// either reading lacks Own, or the times went backwards.
func OtherShare(a, b Times) (other float64, ok bool) {
	busy, _, ok := Shares(a, b)
	if !ok || a.Own == 0 || b.Own < a.Own {
		return 0, false
	}
	own := float64(b.Own-a.Own) / float64(b.Total-a.Total)
	return max(busy-own, 0), true
}
