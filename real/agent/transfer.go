package agent

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"
)

// Permissions of checkpoint data written by the agent.
const (
	dirMode  = 0o700
	fileMode = 0o600
)

// countWriter counts and hashes the bytes written through it. The count
// is read by push's caller goroutine while the filling goroutine writes.
type countWriter struct {
	w io.Writer
	h hash.Hash
	n atomic.Int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.h.Write(b[:n])
	c.n.Add(int64(n))
	return n, err
}

// StallTimeout is how long a transfer to the peer may make no progress (no
// byte accepted, or no answer after the last byte) before it is abandoned: a
// cut or black-holed private link fails the migration step within this time
// instead of waiting for TCP's retransmissions to give up (~15 minutes).
var StallTimeout = 30 * time.Second

// push streams a tar written by fill to url on the peer agent (a PUT with the
// migration's token, and the length and SHA-256 of the body in trailers)
// and returns what went over the wire. A transfer that makes no progress
// for StallTimeout fails with an error that says so.
func push(ctx context.Context, client *http.Client, url, token string, fill func(*tar.Writer) (int, error)) (Transfer, error) {
	ctx, stalled := watchStall(ctx, StallTimeout)
	defer stalled.stop()
	pr, pw := io.Pipe()
	cw := &countWriter{w: progressWriter{pw, stalled}, h: sha256.New()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, pr)
	if err != nil {
		return Transfer{}, err
	}
	req.Header.Set(TokenHeader, token)
	req.Header.Set("Content-Type", "application/x-tar")
	req.Trailer = http.Header{LengthTrailer: nil, DigestTrailer: nil}
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
		if err == nil {
			// Set before the body ends: the transport sends them after it.
			req.Trailer.Set(LengthTrailer, strconv.FormatInt(cw.n.Load(), 10))
			req.Trailer.Set(DigestTrailer, hex.EncodeToString(cw.h.Sum(nil)))
		}
		pw.CloseWithError(err)
		done <- filled{n, err}
	}()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if stalled.fired() {
			err = fmt.Errorf("no progress for %s after %d bytes: is the private link to the peer up? (%w)", StallTimeout, cw.n.Load(), err)
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
	t := Transfer{Bytes: cw.n.Load(), Files: f.files, Time: elapsed}
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
