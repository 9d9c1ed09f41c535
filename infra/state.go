package infra

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/migrlab/migrlab/testbed"
)

// modules holds the Terraform modules written into every testbed directory.
//
//go:embed terraform/modules/host/*.tf terraform/modules/host/scripts/*
//go:embed terraform/local/*.tf terraform/local/scripts/*
//go:embed terraform/ssh/*.tf terraform/aws/*.tf terraform/aws/*.tftpl terraform/aws/README.md
var modules embed.FS

// StateRoot returns the per-user state root: $MIGRLAB_STATE_DIR, else
// $XDG_STATE_HOME/migrlab, else ~/.local/state/migrlab.
func StateRoot() (string, error) {
	if d := os.Getenv("MIGRLAB_STATE_DIR"); d != "" {
		return filepath.Abs(d)
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "migrlab"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("infra: no state directory: set MIGRLAB_STATE_DIR: %w", err)
	}
	return filepath.Join(home, ".local", "state", "migrlab"), nil
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// layout names the files of one testbed.
type layout struct {
	root string // state root
	name string
}

func newLayout(stateDir, name string) (layout, error) {
	if !nameRE.MatchString(name) {
		return layout{}, fmt.Errorf("infra: invalid testbed name %q: use lowercase letters, digits and '-', starting with a letter", name)
	}
	if stateDir == "" {
		var err error
		if stateDir, err = StateRoot(); err != nil {
			return layout{}, err
		}
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return layout{}, err
	}
	return layout{root: abs, name: name}, nil
}

func (l layout) dir() string                      { return filepath.Join(l.root, "testbeds", l.name) }
func (l layout) tfRoot() string                   { return filepath.Join(l.dir(), "tf") }
func (l layout) workdir(b testbed.Backend) string { return filepath.Join(l.tfRoot(), string(b)) }
func (l layout) keyDir() string                   { return filepath.Join(l.dir(), "keys") }
func (l layout) runDir() string                   { return filepath.Join(l.dir(), "run") }
func (l layout) hostsFile() string                { return filepath.Join(l.dir(), testbed.FileName) }
func (l layout) specFile() string                 { return filepath.Join(l.dir(), "spec.json") }
func (l layout) logFile() string                  { return filepath.Join(l.dir(), "terraform.log") }
func (l layout) knownHosts() string               { return filepath.Join(l.keyDir(), "known_hosts") }
func (l layout) varsFile(b testbed.Backend) string {
	return filepath.Join(l.workdir(b), "terraform.tfvars.json")
}
func (l layout) stateFile(b testbed.Backend) string {
	return filepath.Join(l.workdir(b), "terraform.tfstate")
}

// lock takes the testbed's exclusive lock (testbed.Lock) so that Up and
// Down never run at the same time as each other or as a migration on it.
// The returned func releases it.
func (l layout) lock(holder string) (func(), error) {
	unlock, err := testbed.Lock(l.dir(), holder)
	if err != nil {
		return nil, fmt.Errorf("infra: testbed %q: %w", l.name, err)
	}
	return unlock, nil
}

// writeModules copies the embedded Terraform modules into the testbed,
// replacing module files but keeping state, .terraform and tfvars.
func (l layout) writeModules() error {
	return fs.WalkDir(modules, "terraform", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("terraform", filepath.FromSlash(p))
		dst := filepath.Join(l.tfRoot(), rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := modules.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if filepath.Ext(p) == ".sh" {
			mode = 0o755
		}
		return testbed.WriteFile(dst, b, mode)
	})
}

func writeJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return testbed.WriteFile(path, append(b, '\n'), mode)
}

// savedSpec is what Down and Status need to know without the caller's Spec.
type savedSpec struct {
	Name    string          `json:"name"`
	Backend testbed.Backend `json:"backend"`
}

func (l layout) readSpec() (savedSpec, error) {
	var s savedSpec
	b, err := os.ReadFile(l.specFile())
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// readTestbed loads hosts.json.
func (l layout) readTestbed() (*testbed.Testbed, error) {
	tb, err := testbed.Read(l.hostsFile())
	if errors.Is(err, testbed.ErrNotUp) {
		return nil, fmt.Errorf("infra: testbed %q is not up (no %s)", l.name, l.hostsFile())
	}
	return tb, err
}
