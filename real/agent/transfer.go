package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Permissions of checkpoint data written by the agent.
const (
	dirMode  = 0o700
	fileMode = 0o600
)

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// StallTimeout is how long a transfer to the peer may make no progress (no
// byte accepted, or no answer after the last byte) before it is abandoned: a
// cut or black-holed private link fails the migration step within this time
// instead of waiting for TCP's retransmissions to give up (~15 minutes).
var StallTimeout = 30 * time.Second

// push streams a tar written by fill to url on the peer agent (a PUT with the
// migration's token) and returns what went over the wire. A transfer that
// makes no progress for StallTimeout fails with an error that says so.
func push(ctx context.Context, client *http.Client, url, token string, fill func(*tar.Writer) (int, error)) (Transfer, error) {
	ctx, stalled := watchStall(ctx, StallTimeout)
	defer stalled.stop()
	pr, pw := io.Pipe()
	cw := &countWriter{w: progressWriter{pw, stalled}}
	type filled struct {
		files int
		err   error
	}
	done := make(chan filled, 1)
	go func() {
		tw := tar.NewWriter(cw)
		n, err := fill(tw)
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
		done <- filled{n, err}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, pr)
	if err != nil {
		pr.CloseWithError(err)
		<-done
		return Transfer{}, err
	}
	req.Header.Set(TokenHeader, token)
	req.Header.Set("Content-Type", "application/x-tar")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if stalled.fired() {
			err = fmt.Errorf("no progress for %s after %d bytes: is the private link to the peer up? (%w)", StallTimeout, cw.n, err)
		}
		pr.CloseWithError(err)
		f := <-done
		if f.err != nil {
			return Transfer{}, fmt.Errorf("sending to %s: %w (reading the data: %v)", req.URL.Host, err, f.err)
		}
		return Transfer{}, fmt.Errorf("sending to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	elapsed := time.Since(start)
	pr.CloseWithError(errors.New("the peer answered before reading everything"))
	f := <-done
	t := Transfer{Bytes: cw.n, Files: f.files, Time: elapsed}
	if resp.StatusCode/100 != 2 {
		return t, fmt.Errorf("peer agent %s refused the transfer: %s", req.URL.Host, errorText(resp.StatusCode, body))
	}
	if f.err != nil {
		return t, fmt.Errorf("sending to %s: %w", req.URL.Host, f.err)
	}
	return t, nil
}

// addTree adds the directory dir as the entry prefix (and everything under
// it) to tw: directories, regular files and symlinks. It returns the number
// of regular files.
func addTree(tw *tar.Writer, dir, prefix string) (int, error) {
	files := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name = name
		if info.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname = "", ""
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := io.Copy(tw, f); err != nil {
			return err
		}
		files++
		return nil
	})
	return files, err
}

// copyTar copies every entry of the tar file at src to tw.
func copyTar(tw *tar.Writer, src string) (int, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	files := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return files, fmt.Errorf("reading %s: %w", filepath.Base(src), err)
		}
		if err := tw.WriteHeader(h); err != nil {
			return files, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, tr); err != nil {
				return files, err
			}
			files++
		}
	}
}

// extractRound unpacks a pre-dump round sent by push into chain (U/chain):
// only entries under round/ (say "r3/"), directories, regular files, and the
// symlink round/parent -> ../r(K-1) that CRIU puts into a chained image
// directory. Anything else is refused.
func extractRound(r io.Reader, chain string, k int) (int64, error) {
	round := fmt.Sprintf("r%d", k)
	parent := fmt.Sprintf("../r%d", k-1)
	dst := filepath.Join(chain, round)
	if err := os.RemoveAll(dst); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(chain, dirMode); err != nil {
		return 0, err
	}
	tr := tar.NewReader(r)
	var n int64
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("reading round %d: %w", k, err)
		}
		name := path.Clean(h.Name)
		if name != round && !strings.HasPrefix(name, round+"/") {
			return n, fmt.Errorf("round %d: refusing entry %q outside %s/", k, h.Name, round)
		}
		p := filepath.Join(chain, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, dirMode)
		case tar.TypeReg:
			var w int64
			w, err = writeFile(p, tr)
			n += w
		case tar.TypeSymlink:
			if name != round+"/parent" || h.Linkname != parent {
				return n, fmt.Errorf("round %d: refusing symlink %q -> %q (only %s/parent -> %s)", k, h.Name, h.Linkname, round, parent)
			}
			os.Remove(p)
			err = os.Symlink(h.Linkname, p)
		default:
			return n, fmt.Errorf("round %d: refusing entry %q of type %q", k, h.Name, h.Typeflag)
		}
		if err != nil {
			return n, err
		}
	}
}

// writeFile writes r to a new 0600 file at p (its directory is made 0700).
func writeFile(p string, r io.Reader) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(p), dirMode); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, fileMode)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// pagesBytes sums the sizes of the pages-*.img files in an image directory.
func pagesBytes(dir string) (int64, error) {
	m, err := filepath.Glob(filepath.Join(dir, "pages-*.img"))
	if err != nil {
		return 0, err
	}
	var n int64
	for _, f := range m {
		st, err := os.Stat(f)
		if err != nil {
			return 0, err
		}
		n += st.Size()
	}
	return n, nil
}

// errorText renders an agent's error response.
func errorText(status int, body []byte) string {
	var e errorBody
	if jsonUnmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return fmt.Sprintf("HTTP %d: %s", status, bytes.TrimSpace(body))
}
