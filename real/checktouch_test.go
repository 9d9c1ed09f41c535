package real

import (
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/agent"
)

// TestTouchOf: the check's touch is the window's count with it less the
// count without, in bytes, and none when the check wrote less than the
// app's background did.
func TestTouchOf(t *testing.T) {
	if got := touchOf(1500, 190, 4096); got != models.ByteSize(1310*4096) {
		t.Errorf("1500 pages with the check, 190 without: %s, want 1310 pages", got)
	}
	if got := touchOf(150, 190, 4096); got != 0 {
		t.Errorf("fewer with the check than without: %s, want 0", got)
	}
}

// TestCheckTouchWindow: the window holds the lead and twice the check's
// launch time plus a second, at least 3 s, at most the agent's longest.
func TestCheckTouchWindow(t *testing.T) {
	cases := []struct{ took, want time.Duration }{
		{0, 3 * time.Second},
		{1200 * time.Millisecond, 4400 * time.Millisecond},
		{time.Hour, agent.MaxDirtyingWindow},
	}
	for _, c := range cases {
		if got := checkTouchWindow(c.took); got != c.want {
			t.Errorf("a check of %s: window %s, want %s", c.took, got, c.want)
		}
	}
}
