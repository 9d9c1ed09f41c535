// Package cpustat reads a Linux machine's aggregate CPU times from /proc/stat
// and turns two readings into the shares of the time between them that were
// busy and stolen. The orchestrator reads its own (package real), and every
// agent reads its host's on request (GET /v1/cpu), so that a real migration
// records the load on the machine running the VMs and in the guests.
package cpustat

import (
	"bufio"
	"os"
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
