package real

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// ProcStat is where the orchestrator reads its CPU times.
const ProcStat = "/proc/stat"

// cpuTimes are the aggregate CPU times of this machine (the first "cpu" line
// of /proc/stat, in clock ticks). On a local testbed this machine runs the
// hosts' VMs, so its steal time (the hypervisor under it running someone
// else) slows every phase of a migration at once.
type cpuTimes struct {
	total, idle, steal uint64
}

// readCPUTimes parses the first "cpu" line of the proc stat file at path.
func readCPUTimes(path string) (cpuTimes, bool) {
	f, err := os.Open(path)
	if err != nil {
		return cpuTimes{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuTimes{}, false
	}
	fields := strings.Fields(sc.Text())
	// cpu user nice system idle iowait irq softirq steal [guest guest_nice]
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuTimes{}, false
	}
	var t cpuTimes
	for i, s := range fields[1:9] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return cpuTimes{}, false
		}
		t.total += v
		switch i {
		case 3, 4: // idle, iowait
			t.idle += v
		case 7:
			t.steal = v
		}
	}
	return t, true
}

// cpuShares returns the fractions of CPU time from a to b that were busy
// (neither idle nor stolen) and stolen; ok is false when no time passed.
func cpuShares(a, b cpuTimes) (busy, steal float64, ok bool) {
	if b.total <= a.total || b.idle < a.idle || b.steal < a.steal {
		return 0, 0, false
	}
	d := float64(b.total - a.total)
	steal = float64(b.steal-a.steal) / d
	busy = 1 - float64(b.idle-a.idle)/d - steal
	return max(busy, 0), steal, true
}
