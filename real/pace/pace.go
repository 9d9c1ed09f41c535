// Package pace times a fixed piece of CPU work on a machine: how fast it
// runs code right now. On an emulated testbed (QEMU's TCG) a guest's pace
// moves by up to a factor of two within minutes while the machine under it
// keeps its own (docs/fidelity.md, The testbed's pace), and every phase of
// a migration moves with it; CPU steal and load do not show it. An agent
// measures its host's pace on request (GET /v1/pace) right before each
// migration, and the calibration relates the phases' times to it.
package pace

import (
	"crypto/sha256"
	"time"
)

// workBytes is how much one run hashes: under a millisecond natively,
// about 50 ms in a TCG guest (44-62 ms over a held-out run's calibration).
const workBytes = 1 << 20

// runs is how many times Measure times the work; the fastest counts (a run
// interrupted by something else is slower, never faster).
const runs = 3

// Measure returns the fastest of runs timings of hashing workBytes with
// SHA-256, in seconds.
func Measure() float64 {
	buf := make([]byte, workBytes)
	for i := range buf {
		buf[i] = byte(i * 131)
	}
	best := time.Duration(0)
	for range runs {
		start := time.Now()
		sum := sha256.Sum256(buf)
		d := time.Since(start)
		buf[0] ^= sum[0] // each run hashes something new
		if best == 0 || d < best {
			best = d
		}
	}
	return max(best.Seconds(), 1e-9)
}
