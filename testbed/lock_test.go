package testbed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockIsExclusive: a second lock of a testbed fails at once naming the
// holder; after the unlock it is free again. The lock file stands beside the
// state directory, where infra's up and down take the same lock.
func TestLockIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "testbeds", "e2e")
	if got, want := LockPath(dir), filepath.Join(filepath.Dir(dir), ".e2e.lock"); got != want {
		t.Fatalf("LockPath = %s, want %s", got, want)
	}
	unlock, err := Lock(dir, "migrlab run")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir, "migrlab calibrate")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "migrlab run (pid ") {
		t.Fatalf("second lock: %v, want ErrBusy naming migrlab run", err)
	}
	unlock()
	unlock2, err := Lock(dir, "migrlab calibrate")
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
	if _, err := os.Stat(LockPath(dir)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}
