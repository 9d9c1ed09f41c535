package agent

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// records returns the agent's records at base, through its API.
func recordsAt(t *testing.T, c *http.Client, base string) []Record {
	t.Helper()
	resp, err := c.Get(base + "/v1/migrations")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/migrations: %d", resp.StatusCode)
	}
	var rs []Record
	if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil {
		t.Fatal(err)
	}
	return rs
}

// testOrigin is what the orchestrator tells the agents.
var testOrigin = Origin{Source: "vm1", Target: "vm2", Orchestrator: "laptop", PID: 4242,
	SourceAddr: "10.10.0.1:7000", TargetAddr: "10.10.0.2:7000", Started: time.Unix(1700000000, 0).UTC()}

// The target records every phase of an incoming migration as it sees it,
// each write atomic (no temporary file left, 0600 in a 0700 directory),
// and removes the record when the orchestrator ends the migration.
func TestTargetRecordsEveryPhase(t *testing.T) {
	s, _ := newTarget(t, nil, Limits{})
	base, c := plainTarget(t, s), http.DefaultClient
	in := testIncoming(t)
	in.Origin = &testOrigin
	phase := func(want string, rounds int) Record {
		t.Helper()
		rs := recordsAt(t, c, base)
		if len(rs) != 1 {
			t.Fatalf("%d records, want 1 (%s): %+v", len(rs), want, rs)
		}
		r := rs[0]
		if r.Phase != want || r.Rounds != rounds || r.ID != testID || r.Name != "web" || r.Role != RoleTarget || r.Peer != "vm1" || r.Origin != testOrigin {
			t.Errorf("record %+v; want phase %q with %d rounds", r, want, rounds)
		}
		ents, _ := os.ReadDir(filepath.Join(s.cfg.StateDir, recordsDir))
		for _, e := range ents {
			info, _ := e.Info()
			if strings.HasPrefix(e.Name(), ".") || info.Mode().Perm() != 0o600 {
				t.Errorf("records directory holds %s (%v)", e.Name(), info.Mode())
			}
		}
		return r
	}
	if st, body := announce(t, c, base, in); st != http.StatusNoContent {
		t.Fatalf("announce: %d %s", st, body)
	}
	phase(PhaseAnnounced, 0)
	inc := base + "/v1/incoming/" + testID
	if st, body := put(t, c, inc+"/rounds/1", in.Token, roundTar(t, 1), true, -1); st != http.StatusNoContent {
		t.Fatalf("round: %d %s", st, body)
	}
	phase(PhaseReceiving, 1)
	if st, body := put(t, c, inc+"/archive", in.Token, tarOf(t, goodArchive(t, in, 1)...), true, -1); st != http.StatusNoContent {
		t.Fatalf("archive: %d %s", st, body)
	}
	phase(PhaseArchiveReceived, 1)
	if st, body := call(t, c, "POST", inc+"/restore"); st != http.StatusOK {
		t.Fatalf("restore: %d %s", st, body)
	}
	r := phase(PhaseRestored, 1)
	if !r.Updated.After(r.Created) && !r.Updated.Equal(r.Created) {
		t.Errorf("updated %v before created %v", r.Updated, r.Created)
	}
	if st, body := call(t, c, "DELETE", inc+"?remove=false"); st != http.StatusNoContent {
		t.Fatalf("forget: %d %s", st, body)
	}
	if rs := recordsAt(t, c, base); len(rs) != 0 {
		t.Errorf("after the orchestrator's Forget: %+v", rs)
	}
}

// A refused archive or a failed restore is recorded as failed, with why;
// the record stays until the orchestrator rolls the migration back.
func TestTargetRecordsAFailedRestore(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	fe.restoreErr = fmt.Errorf("podman restore --import: CRIU failed")
	base, c := plainTarget(t, s), http.DefaultClient
	in := testIncoming(t)
	announce(t, c, base, in)
	inc := base + "/v1/incoming/" + testID
	put(t, c, inc+"/rounds/1", in.Token, roundTar(t, 1), true, -1)
	put(t, c, inc+"/archive", in.Token, tarOf(t, goodArchive(t, in, 1)...), true, -1)
	call(t, c, "POST", inc+"/restore")
	rs := recordsAt(t, c, base)
	if len(rs) != 1 || rs[0].Phase != PhaseFailed || !strings.Contains(rs[0].Detail, "CRIU failed") || rs[0].Peer != "vm1" {
		t.Fatalf("records %+v; want one failed, saying why", rs)
	}
	call(t, c, "DELETE", inc+"?remove=true")
	if rs := recordsAt(t, c, base); len(rs) != 0 {
		t.Errorf("after the rollback's Forget: %+v", rs)
	}
}

// Records outlive the agent (a restarted agent removes the data of the
// migrations it was receiving, not their records: recovery needs them)
// and expire after RecordTTL.
func TestRecordsSurviveRestartsAndExpire(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	base, c := plainTarget(t, s), http.DefaultClient
	in := testIncoming(t)
	announce(t, c, base, in)
	put(t, c, base+"/v1/incoming/"+testID+"/rounds/1", in.Token, roundTar(t, 1), true, -1)

	s2, fe2 := newTarget(t, nil, Limits{})
	s2.cfg.StateDir, s2.records.dir = s.cfg.StateDir, s.records.dir
	fe2.st = fe.st
	s2.cleanStale(t.Context())
	base2 := plainTarget(t, s2)
	rs := recordsAt(t, c, base2)
	if len(rs) != 1 || rs[0].Phase != PhaseReceiving || rs[0].Rounds != 1 {
		t.Fatalf("after a restart: %+v; want the receiving record", rs)
	}
	if exists(filepath.Join(s.cfg.StateDir, "in", testID)) {
		t.Error("the restarted agent kept the data of the migration it was receiving")
	}

	defer func(d time.Duration) { RecordTTL = d }(RecordTTL)
	RecordTTL = time.Millisecond
	time.Sleep(5 * time.Millisecond)
	if rs := recordsAt(t, c, base2); len(rs) != 0 {
		t.Errorf("an expired record is still listed: %+v", rs)
	}
	if ents, _ := os.ReadDir(s.records.dir); len(ents) != 0 {
		t.Errorf("an expired record is still on disk: %v", ents)
	}
}

// The source records each step it is asked for, and what failed; a
// rollback that failed keeps the record, a Remove ends it.
func TestSourceRecordsItsSteps(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	u := t.TempDir()
	fe.containers[testID] = Container{ID: testID, Name: "web", State: "running", Running: true, PID: 1 << 22, UserData: u}
	base, c := plainTarget(t, s), http.DefaultClient
	send := Send{Target: "10.10.0.2:7070", Token: strings.Repeat("t", 40), Origin: &testOrigin}
	post := func(path string, v any) int {
		st, _ := serveJSON(t, s.Handler(true), "POST", path, v)
		return st
	}
	check := func(phase string, rounds int, detail string) {
		t.Helper()
		rs := recordsAt(t, c, base)
		if len(rs) != 1 || rs[0].Role != RoleSource || rs[0].Phase != phase || rs[0].Rounds != rounds || rs[0].Peer != "vm2" ||
			rs[0].Origin != testOrigin || !strings.Contains(rs[0].Detail, detail) {
			t.Fatalf("records %+v; want the source's, %s after %d rounds, detail with %q", rs, phase, rounds, detail)
		}
	}
	// runc is missing: the round fails, and the record says so.
	if st := post("/v1/containers/"+testID+"/rounds", RoundRequest{Send: send, Round: 1}); st == http.StatusOK {
		t.Fatal("round 1 succeeded without runc")
	}
	check(PhasePreDumping, 0, "runc")
	if st := post("/v1/containers/"+testID+"/checkpoint", CheckpointRequest{Send: send}); st == http.StatusOK {
		t.Fatal("checkpoint succeeded with a fake podman")
	}
	check(PhaseCheckpointing, 0, "no checkpoint")
	if st := post("/v1/containers/"+testID+"/rollback", nil); st == http.StatusOK {
		t.Fatal("rollback succeeded without runc")
	}
	check(PhaseCheckpointing, 0, "rollback")
	if st, body := call(t, c, "DELETE", base+"/v1/containers/"+testID); st != http.StatusNoContent {
		t.Fatalf("remove: %d %s", st, body)
	}
	if rs := recordsAt(t, c, base); len(rs) != 0 {
		t.Errorf("after Remove: %+v", rs)
	}
}

// An announce the agent cannot record is refused: a migration without a
// record could not be recovered without the orchestrator's journal.
func TestAnnounceThatCannotBeRecordedIsRefused(t *testing.T) {
	s, _ := newTarget(t, nil, Limits{})
	// A file where the records' directory should be.
	if err := os.WriteFile(s.records.dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	base := plainTarget(t, s)
	st, body := announce(t, http.DefaultClient, base, testIncoming(t))
	if st/100 == 2 || !strings.Contains(body, "recording the migration") {
		t.Errorf("announce: %d %s; want a refusal naming the record", st, body)
	}
	if st, body := announce(t, http.DefaultClient, base, testIncoming(t)); st == http.StatusConflict {
		t.Errorf("the refused announce left a session behind: %d %s", st, body)
	}
}
