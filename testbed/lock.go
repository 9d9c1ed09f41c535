package testbed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrBusy means another migrlab command holds a testbed's lock.
var ErrBusy = errors.New("the testbed is busy")

// LockPath is the lock file of the testbed whose state directory is dir:
// beside that directory, so that it outlives the directory's removal by
// Down.
func LockPath(dir string) string {
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".lock")
}

// Lock takes the exclusive lock of the testbed whose state directory is dir
// for holder (for example "migrlab run"): bringing the testbed up or down and
// every command that migrates on it take it, so that no two of them act on
// one testbed at once. It fails at once, with ErrBusy and the holder's
// description, when another process holds it. The lock is an flock: it is
// released by the returned function or when the process dies.
func Lock(dir, holder string) (unlock func(), err error) {
	path := LockPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		who := strings.TrimSpace(string(b))
		if who == "" {
			who = "another migrlab"
		}
		return nil, fmt.Errorf("%w: %s holds %s; wait until it ends (a killed process releases it)", ErrBusy, who, path)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%s (pid %d)\n", holder, os.Getpid())
	f.Sync()
	return func() {
		f.Truncate(0)
		f.Close()
	}, nil
}
