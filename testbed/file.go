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

// Write writes tb to path atomically (a temporary file renamed over it),
// readable by its owner only: it names the SSH key and TLS material.
func Write(path string, tb *Testbed) error {
	b, err := json.MarshalIndent(tb, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
