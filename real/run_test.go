package real

import (
	"testing"
	"time"
)

// TestWarmupLeft: a run's warmup counts from the launch, so what preparing
// took is not waited again, and a warmup already spent waits no more.
func TestWarmupLeft(t *testing.T) {
	for _, c := range []struct{ warmup, elapsed, want time.Duration }{
		{5 * time.Second, 0, 5 * time.Second},
		{3 * time.Second, 1200 * time.Millisecond, 1800 * time.Millisecond},
		{3 * time.Second, 4 * time.Second, 0},
	} {
		if got := warmupLeft(c.warmup, c.elapsed); got != c.want {
			t.Errorf("warmup %s after %s: %s left, want %s", c.warmup, c.elapsed, got, c.want)
		}
	}
}
