package agent

import (
	"archive/tar"
	"fmt"
	"path"
	"strings"
)

// tarRules checks the entries of tar streams a peer sent, before anything
// of them is written or handed to Podman: names must be relative and stay
// inside (no absolute path, no ".." component, no NUL), no entry twice (a
// later one would replace what was checked), no sparse entry (its holes
// expand on extraction: a 3 KiB upload became a 256 MiB file), no global
// header, no entry under a link the same tar made (it would be written
// through the link), and at most max entries in all (nested tars count).
// What types and link targets a tar may hold is its caller's to decide.
type tarRules struct {
	// max caps the entries; n counts them (shared by nested tars).
	max int
	n   *int
	// what names the tar in errors ("round 3", "rootfs-diff.tar").
	what string
	// xattrs allows PAX extended attributes (a root file-system diff).
	xattrs bool
	// setid allows set-user-ID, set-group-ID, sticky and world-writable bits.
	setid bool

	names map[string]bool // every entry
	links map[string]bool // symlinks and hard links
	files map[string]bool // regular files
}

func newTarRules(what string, max int, n *int) *tarRules {
	if n == nil {
		n = new(int)
	}
	return &tarRules{max: max, n: n, what: what,
		names: map[string]bool{}, links: map[string]bool{}, files: map[string]bool{}}
}

// check applies the common rules to h and returns its clean name ("."
// for the root).
func (t *tarRules) check(h *tar.Header) (string, error) {
	if *t.n++; *t.n > t.max {
		return "", fmt.Errorf("%s: more than %d entries: refused", t.what, t.max)
	}
	name, err := cleanRel(h.Name)
	if err != nil {
		return "", fmt.Errorf("%s: entry %q: %w", t.what, h.Name, err)
	}
	switch {
	case h.Typeflag == tar.TypeXGlobalHeader:
		return "", fmt.Errorf("%s: refusing a global PAX header", t.what)
	case isSparse(h):
		return "", fmt.Errorf("%s: refusing sparse entry %q (sparse files expand on extraction)", t.what, h.Name)
	case h.Size < 0:
		return "", fmt.Errorf("%s: entry %q has a negative size", t.what, h.Name)
	case !t.setid && h.Mode&0o7002 != 0 && h.Typeflag != tar.TypeSymlink:
		return "", fmt.Errorf("%s: refusing entry %q with set-ID, sticky or world-writable bits (mode %o)", t.what, h.Name, h.Mode)
	case !t.xattrs && hasXattrs(h):
		return "", fmt.Errorf("%s: refusing extended attributes on %q", t.what, h.Name)
	case name == "." && h.Typeflag != tar.TypeDir:
		return "", fmt.Errorf("%s: the root entry %q is not a directory", t.what, h.Name)
	case t.names[name]:
		return "", fmt.Errorf("%s: entry %q appears twice (the second would replace what was checked): refused", t.what, name)
	}
	if l := t.throughLink(name); l != "" {
		return "", fmt.Errorf("%s: entry %q would be written through the link %q: refused", t.what, h.Name, l)
	}
	t.names[name] = true
	switch h.Typeflag {
	case tar.TypeSymlink, tar.TypeLink:
		t.links[name] = true
	case tar.TypeReg, tar.TypeRegA:
		t.files[name] = true
	}
	return name, nil
}

// checkHardlink checks a hard link's target: an earlier regular file of the
// same tar, not reached through a link.
func (t *tarRules) checkHardlink(h *tar.Header) error {
	target, err := cleanRel(h.Linkname)
	if err != nil {
		return fmt.Errorf("%s: hard link %q -> %q: %w", t.what, h.Name, h.Linkname, err)
	}
	if !t.files[target] || t.throughLink(target) != "" {
		return fmt.Errorf("%s: hard link %q -> %q does not name an earlier regular file of the archive: refused", t.what, h.Name, h.Linkname)
	}
	return nil
}

// throughLink returns the link entry that is a proper prefix of name ("" if none).
func (t *tarRules) throughLink(name string) string {
	for p := path.Dir(name); p != "." && p != "/"; p = path.Dir(p) {
		if t.links[p] {
			return p
		}
	}
	return ""
}

// cleanRel returns a tar name (or link target) cleaned, refusing absolute
// names, ".." components and NUL bytes.
func cleanRel(name string) (string, error) {
	switch {
	case name == "":
		return "", fmt.Errorf("empty name")
	case strings.ContainsRune(name, 0):
		return "", fmt.Errorf("NUL in name")
	case strings.HasPrefix(name, "/"):
		return "", fmt.Errorf("absolute path")
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf(`".." component`)
		}
	}
	return path.Clean(name), nil
}

// isSparse reports a sparse entry: old GNU type 'S' or PAX GNU.sparse.* records.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

func hasXattrs(h *tar.Header) bool {
	if len(h.Xattrs) > 0 { // deprecated, but a reader still fills it
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "SCHILY.xattr.") || strings.HasPrefix(k, "LIBARCHIVE.xattr.") {
			return true
		}
	}
	return false
}
