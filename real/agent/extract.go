package agent

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

// Writing what a peer sent: into a fresh temporary directory or file of
// the agent's own, never through a link (every directory on the way is
// checked to be a real one, files are created with O_EXCL|O_NOFOLLOW),
// synced, then renamed into place.

// extractRound unpacks pre-dump round k, sent by push, into a fresh
// temporary directory in chain (U/chain, a real directory) and returns it;
// commitRound moves it to chain/rK. A round holds only entries under rK/:
// directories, regular files, and for k > 1 the symlink rK/parent ->
// ../r(K-1) that CRIU puts into a chained image directory. Anything else
// is refused.
func extractRound(r io.Reader, chain string, k, maxEntries int) (tmp string, err error) {
	if err := realDir(chain); err != nil {
		return "", err
	}
	tmp, err = os.MkdirTemp(chain, "."+roundName(k)+"-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
			tmp = ""
		}
	}()
	round := roundName(k)
	what := "round " + fmt.Sprint(k)
	rules := newTarRules(what, maxEntries, nil)
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tmp, syncDirs(tmp)
		}
		if err != nil {
			return tmp, fmt.Errorf("reading %s: %w", what, err)
		}
		name, err := rules.check(h)
		if err != nil {
			return tmp, err
		}
		if name != round && !strings.HasPrefix(name, round+"/") {
			return tmp, fmt.Errorf("%s: refusing entry %q outside %s/", what, h.Name, round)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(name, round), "/")
		switch h.Typeflag {
		case tar.TypeDir:
			if rel != "" {
				_, err = mkdirIn(tmp, rel)
			}
		case tar.TypeReg, tar.TypeRegA:
			if rel == "" {
				return tmp, fmt.Errorf("%s: %s is a file", what, round)
			}
			err = createIn(tmp, rel, tr)
		case tar.TypeSymlink:
			if rel != "parent" || k < 2 || h.Linkname != "../"+roundName(k-1) {
				return tmp, fmt.Errorf("%s: refusing symlink %q -> %q (only %s/parent -> ../%s, for round 2 on)",
					what, h.Name, h.Linkname, round, roundName(k-1))
			}
			err = os.Symlink(h.Linkname, filepath.Join(tmp, "parent"))
		default:
			return tmp, fmt.Errorf("%s: refusing entry %q of type %q", what, h.Name, h.Typeflag)
		}
		if err != nil {
			return tmp, fmt.Errorf("%s: %w", what, err)
		}
	}
}

// commitRound replaces chain/rK with the extracted tmp.
func commitRound(chain, tmp string, k int) error {
	dst := filepath.Join(chain, roundName(k))
	if err := os.RemoveAll(dst); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(chain)
}

// writeTemp writes r to a new 0600 file in dir (a real directory) and
// syncs it.
func writeTemp(dir, prefix string, r io.Reader) (string, error) {
	if err := realDir(dir); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, prefix) // O_EXCL, 0600
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

// commitFile renames tmp to dst and syncs the directory.
func commitFile(tmp, dst string) error {
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// realDir checks that p is a directory and not a link to one.
func realDir(p string) error {
	st, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory (%s): refusing to write there", p, st.Mode().Type())
	}
	return nil
}

// mkdirIn makes the directories of rel (slash-separated, clean) under
// root, each a real directory (an existing link is refused), and returns
// the last one.
func mkdirIn(root, rel string) (string, error) {
	cur := root
	if rel == "." || rel == "" {
		return cur, nil
	}
	for _, c := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, c)
		err := os.Mkdir(cur, dirMode)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return "", err
		}
		if err := realDir(cur); err != nil {
			return "", err
		}
	}
	return cur, nil
}

// createIn writes r to the new file rel under root (O_EXCL|O_NOFOLLOW,
// 0600) and syncs it.
func createIn(root, rel string, r io.Reader) error {
	dir, err := mkdirIn(root, path.Dir(rel))
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, path.Base(rel)), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, fileMode)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDirs syncs dir and every directory below it.
func syncDirs(dir string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// readSmall reads a file of at most max bytes.
func readSmall(p string, max int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("%s is larger than %d bytes", p, max)
	}
	return b, err
}
