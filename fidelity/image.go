package fidelity

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/migrlab/migrlab/real/image"
)

// WorkloadImage writes the workload's image archive into dir and returns its
// path. The workload binary is bin, else migrlab-workload next to this
// executable, else built with go.
func WorkloadImage(ctx context.Context, dir, bin string) (string, error) {
	if bin == "" {
		if exe, err := os.Executable(); err == nil {
			if p := filepath.Join(filepath.Dir(exe), "migrlab-workload"); isFile(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		bin = filepath.Join(dir, "migrlab-workload")
		if err := image.BuildWorkloadBinary(ctx, bin); err != nil {
			return "", fmt.Errorf("building the workload (give --workload-binary to skip): %w", err)
		}
	}
	archive := filepath.Join(dir, "workload.tar")
	f, err := os.Create(archive)
	if err != nil {
		return "", err
	}
	_, err = image.BuildArchive(f, bin, image.DefaultName)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return archive, err
}

// AgentBinary returns the binary to install as the hosts' agent: path, or
// this executable when path is empty. It notes on w when the binary is
// dynamically linked (the hosts then need a C library compatible with this
// machine's).
func AgentBinary(path string, w io.Writer) (string, error) {
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		path = exe
	}
	if !isFile(path) {
		return "", fmt.Errorf("agent binary %s: not a file", path)
	}
	if f, err := elf.Open(path); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				fmt.Fprintf(w, "note: the agent binary %s is dynamically linked; the hosts need a compatible C library (build with CGO_ENABLED=0 for a static one)\n", path)
				break
			}
		}
		f.Close()
	}
	return path, nil
}

// isFile reports whether p is a regular file.
func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
