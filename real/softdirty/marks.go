package softdirty

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Whole-mapping marks. The kernel marks a new or expanded mapping soft-dirty
// as a whole (the VMA's VM_SOFTDIRTY, "sd" in /proc/PID/smaps' VmFlags):
// until the next clear, pagemap reports every page of it soft-dirty, written
// or not. So when an allocator extends a mapping (brk, or an mmap the
// kernel merges with its neighbour: glibc's and jemalloc's arenas, a cache's
// slabs), the next CRIU pre-dump sends every page the mapping already held,
// not only the new ones. A growing app's rounds then carry bursts of a whole
// heap that its write rate does not explain.

// SmapsMapping is one writable private mapping of /proc/PID/smaps.
type SmapsMapping struct {
	Start, End uint64
	// AnonPages are its anonymous pages in RAM (the Anonymous field).
	AnonPages uint64
	// Marked is whether the kernel marks it soft-dirty whole ("sd" in
	// VmFlags): it was created or expanded since the last clear.
	Marked bool
}

// Smaps reads the writable private mappings of process pid.
func Smaps(pid int) ([]SmapsMapping, error) {
	f, err := os.Open(procPath(pid, "smaps"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ms, err := ParseSmaps(f, os.Getpagesize())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return ms, nil
}

// ParseSmaps parses the contents of /proc/PID/smaps and keeps the writable
// private mappings; pageSize turns the Anonymous field's kB into pages.
func ParseSmaps(r io.Reader, pageSize int) ([]SmapsMapping, error) {
	var out []SmapsMapping
	var cur *SmapsMapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		name, rest, isField := strings.Cut(line, ":")
		// A field is "Name: value"; a mapping's header starts with its
		// address range, which has no colon before its device field.
		if !isField || strings.Contains(name, " ") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			m, err := parseMapsLine(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			cur = nil
			if m.Writable() && m.Private() {
				out = append(out, SmapsMapping{Start: m.Start, End: m.End})
				cur = &out[len(out)-1]
			}
			continue
		}
		if cur == nil {
			continue
		}
		switch name {
		case "Anonymous":
			f := append(strings.Fields(rest), "")
			kb, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: malformed Anonymous field %q", n, line)
			}
			cur.AnonPages = kb * 1024 / uint64(pageSize)
		case "VmFlags":
			cur.Marked = strings.Contains(" "+rest+" ", " sd ")
		}
	}
	return out, sc.Err()
}

// MarkWatch follows a process's mappings between two polls and reports the
// pages the kernel marked dirty whole without their being written: those a
// newly marked mapping held before it was marked (its new pages are the
// process's growth, and a write sets their bits anyway).
type MarkWatch struct {
	prev []SmapsMapping
}

// NewMarkWatch starts watching from the mappings ms (read right after a
// clear: none is marked then).
func NewMarkWatch(ms []SmapsMapping) *MarkWatch { return &MarkWatch{prev: ms} }

// Next takes the mappings read now and returns the pages that were marked
// whole since the previous poll: of every marked mapping that was not in
// the previous poll with the same range and marked, the anonymous pages of
// the previous poll's mappings it covers.
func (w *MarkWatch) Next(ms []SmapsMapping) uint64 {
	var pages uint64
	for _, m := range ms {
		if !m.Marked || w.had(m) {
			continue
		}
		for _, p := range w.prev {
			if p.Start < m.End && m.Start < p.End {
				pages += p.AnonPages
			}
		}
	}
	w.prev = ms
	return pages
}

// had reports whether the previous poll had m marked with the same range.
func (w *MarkWatch) had(m SmapsMapping) bool {
	for _, p := range w.prev {
		if p.Start == m.Start && p.End == m.End && p.Marked {
			return true
		}
	}
	return false
}
