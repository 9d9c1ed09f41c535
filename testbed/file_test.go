package testbed

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileReplacesAtomically: the file gets its content and mode, a
// missing directory is made private, and no temporary file is left.
func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	p := filepath.Join(dir, "id")
	for _, content := range []string{"first", "second"} {
		if err := WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != content {
			t.Errorf("content %q, want %q", b, content)
		}
	}
	st, _ := os.Stat(p)
	dst, _ := os.Stat(dir)
	ents, _ := os.ReadDir(dir)
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 || len(ents) != 1 {
		t.Errorf("file %v, dir %v, entries %v", st.Mode(), dst.Mode(), ents)
	}
}
