package agent

import (
	"archive/tar"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A round holds only its own files and its parent link; nothing in it is
// written outside a fresh directory of the agent's, nor through a link.
func TestExtractRoundRefuses(t *testing.T) {
	many := []entry{dir("r3")}
	for i := range 20 {
		many = append(many, file("r3/f"+string(rune('a'+i)), "x"))
	}
	for _, tc := range []struct {
		name  string
		k     int
		tar   []byte
		want  string
		limit int
	}{
		{"outside", 3, tarOf(t, file("r3/../../etc/x", "x")), `".." component`, 0},
		{"other round", 3, tarOf(t, file("r2/pages-1.img", "x")), "outside r3/", 0},
		{"absolute", 3, tarOf(t, file("/r3/x", "x")), "absolute", 0},
		{"parent to /etc", 3, tarOf(t, symlink("r3/parent", "/etc")), "refusing symlink", 0},
		{"other link", 3, tarOf(t, symlink("r3/x", "../r2")), "refusing symlink", 0},
		{"parent of round 1", 1, tarOf(t, symlink("r1/parent", "../r0")), "refusing symlink", 0},
		{"write through the parent link", 3, tarOf(t, dir("r3"), symlink("r3/parent", "../r2"), file("r3/parent/pages-1.img", "x")), "through the link", 0},
		{"write two rounds back", 3, tarOf(t, symlink("r3/parent", "../r2"), file("r3/parent/parent/pages-1.img", "x")), "through the link", 0},
		{"hard link", 3, tarOf(t, entry{name: "r3/x", typ: tar.TypeLink, link: "r3/y"}), "of type", 0},
		{"device", 3, tarOf(t, entry{name: "r3/x", typ: tar.TypeChar}), "of type", 0},
		{"twice", 3, tarOf(t, file("r3/x", "a"), file("r3/x", "b")), "appears twice", 0},
		{"set-ID", 3, tarOf(t, entry{name: "r3/x", typ: tar.TypeReg, body: "x", mode: 0o6755}), "set-ID", 0},
		{"world-writable", 3, tarOf(t, entry{name: "r3/x", typ: tar.TypeReg, body: "x", mode: 0o666}), "world-writable", 0},
		{"sparse", 3, sparseTar("r3/pages-1.img"), "sparse", 0},
		{"too many entries", 3, tarOf(t, many...), "more than 10 entries", 10},
		{"not a tar", 3, []byte(strings.Repeat("garbage that is not a tar stream at all. ", 20)), "reading round 3", 0},
	} {
		chain := filepath.Join(t.TempDir(), "chain")
		os.Mkdir(chain, 0o700)
		writeRound(t, filepath.Join(chain, "r2"), 2)
		lim := tc.limit
		if lim == 0 {
			lim = 1000
		}
		tmp, err := extractRound(bytes.NewReader(tc.tar), chain, tc.k, lim)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", tc.name, err, tc.want)
		}
		ents, _ := os.ReadDir(chain)
		if tmp != "" || len(ents) != 1 {
			t.Errorf("%s: left %q and %d entries in the chain", tc.name, tmp, len(ents))
		}
		if b, _ := os.ReadFile(filepath.Join(chain, "r2", "pages-1.img")); len(b) != 3*4096 || b[0] != 2 {
			t.Errorf("%s: round 2's pages changed", tc.name)
		}
	}
}

// Uploads are capped at the announced sizes, checked against the sender's
// length and digest, and kept only when whole.
func TestUploadLimitsAndChecks(t *testing.T) {
	in := testIncoming(t)
	in.MaxRoundBytes = 8 << 10
	big := roundTar(t, 1, file("r1/pages-2.img", strings.Repeat("x", 16<<10)))
	small := roundTar(t, 1)
	for _, tc := range []struct {
		name          string
		body          []byte
		trailers      bool
		contentLength int64
		mangle        func(*http.Request)
		want          int
		inBody        string
	}{
		{"over the cap, Content-Length", big, false, int64(len(big)), nil, http.StatusRequestEntityTooLarge, "max_round_bytes"},
		{"over the cap, chunked", big, true, -1, nil, http.StatusRequestEntityTooLarge, "max_round_bytes"},
		{"no trailers", small, false, -1, nil, http.StatusBadRequest, "trailers"},
		{"sparse", sparseTar("r1/pages-1.img"), true, -1, nil, http.StatusBadRequest, "sparse"},
		{"whole", small, true, -1, nil, http.StatusNoContent, ""},
	} {
		s, fe := newTarget(t, nil, Limits{})
		base, c := plainTarget(t, s), http.DefaultClient
		if st, body := announce(t, c, base, in); st != http.StatusNoContent {
			t.Fatalf("announce: %d %s", st, body)
		}
		st, body := put(t, c, base+"/v1/incoming/"+testID+"/rounds/1", in.Token, tc.body, tc.trailers, tc.contentLength)
		if st != tc.want || !strings.Contains(body, tc.inBody) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, st, body, tc.want, tc.inBody)
		}
		chain := filepath.Join(fe.st.userData(testID), chainDir)
		ents, _ := os.ReadDir(chain)
		if kept := len(ents) == 1 && ents[0].Name() == "r1"; kept != (tc.want == http.StatusNoContent) || len(ents) > 1 {
			t.Errorf("%s: chain holds %v", tc.name, ents)
		}
	}
}

// A body whose trailers do not match what arrived is not kept.
func TestUploadDigestMismatch(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	base, in := plainTarget(t, s), testIncoming(t)
	announce(t, http.DefaultClient, base, in)
	body := roundTar(t, 1)
	for _, tc := range []struct{ name, length, digest, want string }{
		{"length", "1", strings.Repeat("0", 64), "received"},
		{"digest", strconv.Itoa(len(body)), strings.Repeat("0", 64), "SHA-256"},
	} {
		req, _ := http.NewRequest(http.MethodPut, base+"/v1/incoming/"+testID+"/rounds/1", io.NopCloser(bytes.NewReader(body)))
		req.ContentLength = -1
		req.Header.Set(TokenHeader, in.Token)
		req.Trailer = http.Header{LengthTrailer: {tc.length}, DigestTrailer: {tc.digest}}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d %s; want 400 with %q", tc.name, resp.StatusCode, b, tc.want)
		}
		if exists(filepath.Join(fe.st.userData(testID), chainDir, "r1")) {
			t.Errorf("%s: round 1 kept", tc.name)
		}
	}
}

// A round is written into a fresh directory and renamed over whatever
// stood at chain/rK: a link planted there (or a chain that is a link)
// does not redirect it out of the migration's directory.
func TestRoundIsNotWrittenThroughLinks(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	base, in := plainTarget(t, s), testIncoming(t)
	announce(t, http.DefaultClient, base, in)
	chain := filepath.Join(fe.st.userData(testID), chainDir)
	outside := t.TempDir()
	url := base + "/v1/incoming/" + testID + "/rounds/"
	if st, body := put(t, http.DefaultClient, url+"1", in.Token, roundTar(t, 1), true, -1); st != http.StatusNoContent {
		t.Fatalf("round 1: %d %s", st, body)
	}
	os.Symlink(outside, filepath.Join(chain, "r2"))
	if st, body := put(t, http.DefaultClient, url+"2", in.Token, roundTar(t, 2), true, -1); st != http.StatusNoContent {
		t.Fatalf("round 2 over a planted link: %d %s", st, body)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("round 2 was written through the link into %s: %v", outside, ents)
	}
	if err := realDir(filepath.Join(chain, "r2")); err != nil {
		t.Errorf("chain/r2: %v", err)
	}
	// The chain itself replaced by a link: refused.
	os.RemoveAll(chain)
	os.Symlink(outside, chain)
	st, body := put(t, http.DefaultClient, url+"1", in.Token, roundTar(t, 1), true, -1)
	if st != http.StatusBadRequest || !strings.Contains(body, "not a directory") {
		t.Errorf("round into a linked chain: %d %s", st, body)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("written through the chain link into %s: %v", outside, ents)
	}
}

// Rounds arrive in order; the announce and each upload check free space.
func TestRoundOrderAndFreeSpace(t *testing.T) {
	s, _ := newTarget(t, nil, Limits{})
	base, in := plainTarget(t, s), testIncoming(t)
	s.freeSpace = func(string) (uint64, error) { return 1 << 20, nil }
	st, body := announce(t, http.DefaultClient, base, in)
	if st != http.StatusInsufficientStorage || !strings.Contains(body, "max_archive_bytes") {
		t.Fatalf("announce on a full disk: %d %s; want 507 naming the caps", st, body)
	}
	s.freeSpace = func(string) (uint64, error) { return 1 << 30, nil }
	if st, body := announce(t, http.DefaultClient, base, in); st != http.StatusNoContent {
		t.Fatalf("announce: %d %s", st, body)
	}
	url := base + "/v1/incoming/" + testID + "/rounds/"
	if st, body := put(t, http.DefaultClient, url+"2", in.Token, roundTar(t, 2), true, -1); st != http.StatusConflict {
		t.Errorf("round 2 first: %d %s; want 409", st, body)
	}
	s.freeSpace = func(string) (uint64, error) { return 4096, nil }
	if st, body := put(t, http.DefaultClient, url+"1", in.Token, roundTar(t, 1), true, -1); st != http.StatusInsufficientStorage {
		t.Errorf("round on a full disk: %d %s; want 507", st, body)
	}
}
