package agent

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// An announce must say what the target is to expect; each missing or bad
// field is named in the 400 answer.
func TestAnnounceRequiresWhatTheTargetMustExpect(t *testing.T) {
	pki := newTestPKI(t, "tb")
	s, _ := newTarget(t, pki.host(t, "vm2"), Limits{})
	h := http.Handler(s.routes(true))
	for _, tc := range []struct {
		name   string
		change func(*Incoming)
		want   string
	}{
		{"no image", func(in *Incoming) { in.ImageID = "" }, "image_id"},
		{"no profile", func(in *Incoming) { in.Profile = nil }, "profile"},
		{"no source", func(in *Incoming) { in.Source = "" }, "source"},
		{"no round cap", func(in *Incoming) { in.MaxRoundBytes = 0 }, "max_round_bytes"},
		{"no archive cap", func(in *Incoming) { in.MaxArchiveBytes = 0 }, "max_archive_bytes"},
		{"bad name", func(in *Incoming) { in.Name = "../x" }, "name"},
		{"short token", func(in *Incoming) { in.Token = "short" }, "token"},
	} {
		in := testIncoming(t)
		tc.change(&in)
		status, body := serveJSON(t, h, "POST", "/v1/incoming", in)
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s; want 400 naming %q", tc.name, status, body, tc.want)
		}
	}
	if status, body := serveJSON(t, h, "POST", "/v1/incoming", testIncoming(t)); status != http.StatusNoContent {
		t.Errorf("a complete announce: %d %s", status, body)
	}
}

// A second announce of a container is refused (409) and leaves the first
// migration's token in force; it used to replace it silently.
func TestSecondAnnounceIsRefused(t *testing.T) {
	s, _ := newTarget(t, nil, Limits{})
	base, c := plainTarget(t, s), http.DefaultClient
	first := testIncoming(t)
	if st, body := announce(t, c, base, first); st != http.StatusNoContent {
		t.Fatalf("first announce: %d %s", st, body)
	}
	second := first
	second.Token = strings.Repeat("s", 40)
	st, body := announce(t, c, base, second)
	if st != http.StatusConflict || !strings.Contains(body, "already announced") || !strings.Contains(body, "DELETE /v1/incoming/") {
		t.Fatalf("second announce: %d %s; want 409 that names the fix", st, body)
	}
	url := base + "/v1/incoming/" + testID + "/rounds/1"
	if st, body := put(t, c, url, second.Token, roundTar(t, 1), true, -1); st != http.StatusForbidden {
		t.Errorf("upload with the refused announce's token: %d %s, want 403", st, body)
	}
	if st, body := put(t, c, url, first.Token, roundTar(t, 1), true, -1); st != http.StatusNoContent {
		t.Errorf("upload with the first token: %d %s, want 204", st, body)
	}
	// Once forgotten (the orchestrator's rollback), it may be announced again.
	if st, body := call(t, c, "DELETE", base+"/v1/incoming/"+testID); st != http.StatusNoContent {
		t.Fatalf("forget: %d %s", st, body)
	}
	if st, body := announce(t, c, base, second); st != http.StatusNoContent {
		t.Errorf("announce after forget: %d %s", st, body)
	}
}

// A migration with no activity for SessionTTL expires: uploads get 410,
// its data goes, and the container may be announced again.
func TestSessionExpires(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{SessionTTL: 150 * time.Millisecond})
	base, c := plainTarget(t, s), http.DefaultClient
	in := testIncoming(t)
	if st, body := announce(t, c, base, in); st != http.StatusNoContent {
		t.Fatalf("announce: %d %s", st, body)
	}
	url := base + "/v1/incoming/" + testID + "/rounds/1"
	if st, body := put(t, c, url, in.Token, roundTar(t, 1), true, -1); st != http.StatusNoContent {
		t.Fatalf("upload: %d %s", st, body)
	}
	time.Sleep(300 * time.Millisecond)
	st, body := put(t, c, base+"/v1/incoming/"+testID+"/rounds/2", in.Token, roundTar(t, 2), true, -1)
	if st != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("upload after the TTL: %d %s; want 410", st, body)
	}
	if st, body := call(t, c, "POST", base+"/v1/incoming/"+testID+"/restore"); st != http.StatusGone {
		t.Errorf("restore after the TTL: %d %s; want 410", st, body)
	}
	s.sweepExpired(t.Context())
	if u := fe.st.userData(testID); exists(filepath.Join(u, chainDir, "r1")) {
		t.Errorf("the expired migration's round 1 is still in %s", u)
	}
	if st, body := announce(t, c, base, in); st != http.StatusNoContent {
		t.Errorf("announce after expiry: %d %s", st, body)
	}
}

// With TLS, a token works only with the certificate of the source named
// at announce: another host holding the token is refused.
func TestTokenIsBoundToTheSourceCertificate(t *testing.T) {
	pki := newTestPKI(t, "tb")
	s, _ := newTarget(t, pki.host(t, "vm2"), Limits{})
	orch := pki.orchestrator(t).ClientConfig("vm2")
	loop, priv := serveTLS(t, s, true), serveTLS(t, s, false)
	in := testIncoming(t) // Source: vm1
	if st, body := announce(t, tlsClient(orch), "https://"+loop, in); st != http.StatusNoContent {
		t.Fatalf("announce: %d %s", st, body)
	}
	url := "https://" + priv + "/v1/incoming/" + testID + "/rounds/1"
	for _, tc := range []struct {
		name   string
		client *http.Client
		want   int
		inBody string
	}{
		{"another host with the token", tlsClient(pki.host(t, "vm3").ClientConfig("")), http.StatusForbidden, `announced from vm1`},
		{"the orchestrator with the token", tlsClient(pki.orchestrator(t).ClientConfig("")), http.StatusForbidden, `announced from vm1`},
		{"the source", tlsClient(pki.host(t, "vm1").ClientConfig("")), http.StatusNoContent, ""},
	} {
		st, body := put(t, tc.client, url, in.Token, roundTar(t, 1), true, -1)
		if st != tc.want || !strings.Contains(body, tc.inBody) {
			t.Errorf("%s: %d %s; want %d with %q", tc.name, st, body, tc.want, tc.inBody)
		}
	}
}

// The restore closes the migration's uploads: a later upload gets 409 and
// a second restore too.
func TestRestoreClosesUploads(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	base, c := plainTarget(t, s), http.DefaultClient
	in := testIncoming(t)
	announce(t, c, base, in)
	inc := base + "/v1/incoming/" + testID
	if st, body := put(t, c, inc+"/rounds/1", in.Token, roundTar(t, 1), true, -1); st != http.StatusNoContent {
		t.Fatalf("round 1: %d %s", st, body)
	}
	if st, body := put(t, c, inc+"/archive", in.Token, tarOf(t, goodArchive(t, in, 1)...), true, -1); st != http.StatusNoContent {
		t.Fatalf("archive: %d %s", st, body)
	}
	if st, body := call(t, c, "POST", inc+"/restore"); st != http.StatusOK {
		t.Fatalf("restore: %d %s", st, body)
	}
	if restored, _, _ := fe.calls(); len(restored) != 1 {
		t.Fatalf("podman restores: %v", restored)
	}
	for _, u := range []string{inc + "/rounds/2", inc + "/archive"} {
		st, body := put(t, c, u, in.Token, roundTar(t, 2), true, -1)
		if st != http.StatusConflict || !strings.Contains(body, "closed") {
			t.Errorf("upload to %s after the restore: %d %s; want 409", u, st, body)
		}
	}
	if st, body := call(t, c, "POST", inc+"/restore"); st != http.StatusConflict {
		t.Errorf("second restore: %d %s; want 409", st, body)
	}
}

// IncomingFor fills every field an announce needs from the source's
// inspect, and such an announce is accepted.
func TestIncomingForIsComplete(t *testing.T) {
	c := Container{ID: testID, Name: "web", ImageID: strings.Repeat("1", 64), Profile: testProfile(t)}
	in := IncomingFor(c, "vm1", strings.Repeat("t", 40), 64<<20)
	if err := checkIncoming(in, true); err != nil {
		t.Fatal(err)
	}
	if in.MaxRoundBytes != 192<<20 || in.MaxArchiveBytes != 384<<20 {
		t.Errorf("caps %d, %d; want 192 MiB, 384 MiB", in.MaxRoundBytes, in.MaxArchiveBytes)
	}
}

// An upload admitted before its migration was forgotten and announced
// again keeps nothing: it cannot land in the new migration's chain.
func TestUploadOutlivingItsSessionKeepsNothing(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	base, c := plainTarget(t, s), http.DefaultClient
	in := testIncoming(t)
	announce(t, c, base, in)
	// Hold the upload after it was admitted, before it writes anything.
	var armed atomic.Bool
	started, release := make(chan struct{}), make(chan struct{})
	s.freeSpace = func(string) (uint64, error) {
		if armed.CompareAndSwap(true, false) {
			close(started)
			<-release
		}
		return 1 << 40, nil
	}
	armed.Store(true)
	done := make(chan string)
	go func() {
		st, body := put(t, c, base+"/v1/incoming/"+testID+"/rounds/1", in.Token, roundTar(t, 1), true, -1)
		done <- fmt.Sprint(st, " ", body)
	}()
	<-started
	call(t, c, "DELETE", base+"/v1/incoming/"+testID)
	second := in
	second.Token = strings.Repeat("n", 40)
	if st, body := announce(t, c, base, second); st != http.StatusNoContent {
		t.Fatalf("announce again: %d %s", st, body)
	}
	close(release)
	if got := <-done; !strings.HasPrefix(got, "409 ") || !strings.Contains(got, "nothing of it was kept") {
		t.Errorf("the outlived upload: %s; want 409", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(fe.st.userData(testID), chainDir)); len(ents) != 0 {
		t.Errorf("the outlived upload left %v in the new migration's chain", ents)
	}
}
