package softdirty

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ClearForProfile clears the soft-dirty bits of every page of process pid
// (writes 4 to /proc/PID/clear_refs), so that a later Scan counts the pages
// written since: how a profile measures the pages a process dirties within
// a window of time.
//
// Only for a process that no migration is tracking: a pre-dump chain takes
// the bits as "written since my last round", and clearing them behind its
// back makes its next round skip pages that did change (a silently wrong
// restore). The agent refuses a profile while a container has a chain.
func ClearForProfile(pid int) error {
	f, err := os.OpenFile(procPath(pid, "clear_refs"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString("4"); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	return f.Close()
}

// GroupPids returns the processes in pid's cgroup (cgroup v2), pid first
// and the rest in ascending order: a container's processes when pid is its
// init. Without a readable cgroup v2 membership it returns pid alone.
func GroupPids(pid int) []int {
	b, err := os.ReadFile(procPath(pid, "cgroup"))
	if err != nil {
		return []int{pid}
	}
	path, ok := unifiedPath(b)
	if !ok {
		return []int{pid}
	}
	procs, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", path, "cgroup.procs"))
	if err != nil {
		return []int{pid}
	}
	return withFirst(pid, ParsePids(procs))
}

// unifiedPath returns the cgroup v2 path of a /proc/PID/cgroup file (its
// "0::PATH" line).
func unifiedPath(b []byte) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok && strings.HasPrefix(p, "/") && !strings.Contains(p, "..") {
			return p, true
		}
	}
	return "", false
}

// ParsePids reads one PID per line (a cgroup.procs file), skipping what is not one.
func ParsePids(b []byte) []int {
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil && n > 0 {
			pids = append(pids, n)
		}
	}
	return pids
}

// withFirst returns pids sorted with first at the front (added when absent).
func withFirst(first int, pids []int) []int {
	out := []int{first}
	sort.Ints(pids)
	for _, p := range pids {
		if p != first {
			out = append(out, p)
		}
	}
	return out
}
