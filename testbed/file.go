package testbed

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileName is the hosts file's name in a testbed's state directory.
const FileName = "hosts.json"

// ErrNotUp means a testbed has no hosts file: it was never brought up, or it
// was torn down.
var ErrNotUp = errors.New("the testbed is not up")

// Read loads a hosts file.
func Read(path string) (*Testbed, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (no %s)", ErrNotUp, path)
	}
	if err != nil {
		return nil, err
	}
	var tb Testbed
	if err := json.Unmarshal(b, &tb); err != nil {
		return nil, fmt.Errorf("testbed: %s: %w", path, err)
	}
	return &tb, nil
}

// Write writes tb to path (WriteFile), readable by its owner only: it names
// the SSH key and TLS material.
func Write(path string, tb *Testbed) error {
	b, err := json.MarshalIndent(tb, "", "  ")
	if err != nil {
		return err
	}
	return WriteFile(path, append(b, '\n'), 0o600)
}

// WriteFile writes b to path atomically and durably, as every file of a
// testbed's state directory is written: a temporary file in the same
// directory (made 0700 when missing), fsynced, renamed over path, and the
// directory fsynced. A crash leaves the old file or the new one, never a torn
// one.
func WriteFile(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
