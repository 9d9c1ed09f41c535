package real

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/image"
)

// fakeHooks records an app's hook calls; check answers from digests by
// address (an error for "fail").
type fakeHooks struct {
	mu      sync.Mutex
	calls   []string
	digests map[string]string
	// src is the source's fake agent: the quiesce must come before its
	// final dump.
	src *fakeAgent
	// dumpedBeforeQuiesce is set when the source had dumped before the
	// probe of the source was paused.
	dumpedBeforeQuiesce bool
	// later are the digests by address from the second check of it on.
	later   map[string]string
	checked map[string]int
	// checkTakes is how long each check takes.
	checkTakes time.Duration
}

func (f *fakeHooks) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeHooks) pauseLoad(context.Context) error { f.note("pause load"); return nil }
func (f *fakeHooks) resumeLoad(_ context.Context, addr string) error {
	f.note("resume load " + addr)
	return nil
}
func (f *fakeHooks) pauseProbe(_ context.Context, addr string, paused bool) error {
	f.note(fmt.Sprintf("probe %s paused %v", addr, paused))
	if paused && strings.Contains(f.src.log(), "/checkpoint") {
		f.dumpedBeforeQuiesce = true
	}
	return nil
}
func (f *fakeHooks) check(_ context.Context, addr string) (string, error) {
	f.note("check " + addr)
	time.Sleep(f.checkTakes)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.checked == nil {
		f.checked = map[string]int{}
	}
	f.checked[addr]++
	if d, ok := f.later[addr]; ok && f.checked[addr] > 1 {
		return d, nil
	}
	if d := f.digests[addr]; d != "fail" {
		return d, nil
	}
	return "", errors.New("injected check failure")
}

const (
	appSrc = "10.10.0.1:17000"
	appDst = "10.10.0.2:17000"
)

// appRunner is a runner of an app migrating over fake agents.
func appRunner(t *testing.T, src, dst *fakeAgent, digests map[string]string) (*runner, *fakeHooks) {
	t.Helper()
	e := newTestEnv(t, src, dst)
	h := &fakeHooks{digests: digests, src: src}
	app := models.App{Image: "localhost/migrlab-redis:latest", Port: 6379,
		Probe: models.AppProbe{TCP: true}, Load: models.AppHook{Exec: "load"}, Check: models.AppHook{Exec: "digest"}}
	r := &runner{s: models.Scenario{Name: "app", App: app}, opt: Options{StepTimeout: time.Minute},
		src: e.src, dst: e.dst, envs: []*Env{e},
		out: &Outcome{Members: []Member{{Name: "c", ID: testID, SourceAddr: appSrc, TargetAddr: appDst}}},
		app: &appRun{app: app, hooks: h}}
	return r, h
}

// TestAppMigrationChecksTheStateAcrossTheFreeze: the load is paused, the
// check taken and the source's probing paused before the final dump; after
// the restore the check must give the same digest, then the load follows
// the service to the target.
func TestAppMigrationChecksTheStateAcrossTheFreeze(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
	r, h := appRunner(t, src, dst, map[string]string{appSrc: "d1", appDst: "d1"})
	if err := r.migrate(context.Background(), models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	want := "pause load; check " + appSrc + "; probe " + appSrc + " paused true; check " + appDst + "; resume load " + appDst
	if got := strings.Join(h.calls, "; "); got != want {
		t.Errorf("hooks:\n got %s\nwant %s", got, want)
	}
	if h.dumpedBeforeQuiesce {
		t.Error("the final dump began before the source's probing was paused")
	}
	if strings.Contains(src.log(), "/rollback") || !strings.Contains(src.log(), "DELETE /v1/containers/") {
		t.Errorf("the source copy was not removed after a passed check:\n%s", src.log())
	}
	if x := r.appExtra(); x["app_check_passed"] != 1 {
		t.Errorf("extra %v", x)
	}
}

// TestAppQuiesceIsNotTheMigrationsTime: a check that takes 400 ms before
// the freeze is recorded as the quiesce and left out of the migration's
// total time, which the simulator has no step for.
func TestAppQuiesceIsNotTheMigrationsTime(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
	r, h := appRunner(t, src, dst, map[string]string{appSrc: "d1", appDst: "d1"})
	h.checkTakes = 400 * time.Millisecond
	start := time.Now()
	if err := r.migrate(context.Background(), models.ColdTechnique{}, nil); err != nil {
		t.Fatal(err)
	}
	res := r.out.Group.Members[0]
	q := r.appExtra()["app_quiesce_s"]
	if q < 0.4 || q > 1.5 {
		t.Fatalf("quiesce %.3fs, want about 0.4 s", q)
	}
	if res.TotalTime() > 300*time.Millisecond || time.Since(start) < 400*time.Millisecond {
		t.Errorf("total time %s over fake agents, want under 300 ms: the quiesce was counted", res.TotalTime())
	}
	if f := res.Rounds[len(res.Rounds)-1]; f.Start > 300*time.Millisecond {
		t.Errorf("the final dump starts at %s, want right after the start: the quiesce was counted", f.Start)
	}
}

// TestAppMigrationFailsOnAChangedState: a digest that differs after the
// restore fails the migration: the target's copy is removed, the source
// runs again, and the load and probe go on against the source.
func TestAppMigrationFailsOnAChangedState(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
	r, h := appRunner(t, src, dst, map[string]string{appSrc: "d1", appDst: "d2"})
	err := r.migrate(context.Background(), models.PreCopyTechnique{Stop: models.StopRules{MaxRounds: 1}}, nil)
	if err == nil || !strings.Contains(err.Error(), `state check failed: app.check.exec printed "d1" before the freeze and "d2" after the restore`) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(src.log(), "/rollback") || strings.Contains(src.log(), "DELETE /v1/containers/") {
		t.Errorf("not rolled back onto the source:\n%s", src.log())
	}
	if !strings.Contains(dst.log(), "DELETE /v1/incoming/"+testID+"?remove=true") {
		t.Errorf("the target's copy was not removed:\n%s", dst.log())
	}
	if got := strings.Join(h.calls[len(h.calls)-2:], "; "); got != "probe "+appSrc+" paused false; resume load "+appSrc {
		t.Errorf("after the rollback: %s", got)
	}
	if x := r.appExtra(); x["app_check_passed"] != 0 {
		t.Errorf("extra %v", x)
	}
}

// TestAppCheckFailingBeforeTheFreeze: no final dump, the source goes on.
func TestAppCheckFailingBeforeTheFreeze(t *testing.T) {
	src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{}
	r, _ := appRunner(t, src, dst, map[string]string{appSrc: "fail"})
	err := r.migrate(context.Background(), models.ColdTechnique{}, nil)
	if err == nil || !strings.Contains(err.Error(), "app.check.exec before the freeze: injected check failure") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(src.log(), "/checkpoint") {
		t.Errorf("dumped despite the failed check:\n%s", src.log())
	}
}

// TestAppRollbackChecksTheState: a restore that fails rolls the app back
// onto the source, whose check must give the digest taken before the
// freeze before the load resumes there; a different one is reported.
func TestAppRollbackChecksTheState(t *testing.T) {
	for _, tc := range []struct {
		later map[string]string
		want  string
	}{
		{nil, ""},
		{map[string]string{appSrc: "d9"}, `printed "d1" before the freeze and "d9" on the source after the rollback`},
	} {
		src, dst := &fakeAgent{dirty: []uint64{5}, pages: 100}, &fakeAgent{fail: "/restore"}
		r, h := appRunner(t, src, dst, map[string]string{appSrc: "d1", appDst: "d1"})
		h.later = tc.later
		if err := r.migrate(context.Background(), models.ColdTechnique{}, nil); err == nil {
			t.Fatal("a failed restore migrated")
		}
		want := "pause load; check " + appSrc + "; probe " + appSrc + " paused true; check " + appSrc + "; probe " + appSrc + " paused false; resume load " + appSrc
		if got := strings.Join(h.calls, "; "); got != want {
			t.Errorf("hooks:\n got %s\nwant %s", got, want)
		}
		switch {
		case tc.want == "" && (r.app.rollbackErr != nil || r.app.rolledBack != "d1"):
			t.Errorf("rolled back: %q, %v", r.app.rolledBack, r.app.rollbackErr)
		case tc.want != "" && (r.app.rollbackErr == nil || !strings.Contains(r.app.rollbackErr.Error(), tc.want)):
			t.Errorf("a changed state after the rollback: %v, want %q", r.app.rollbackErr, tc.want)
		}
	}
}

func TestRefuseApp(t *testing.T) {
	s := models.Scenario{App: models.App{Image: "x", Port: 1}, Group: models.Group{Containers: 2}}
	if err := refuseApp(s, Options{}); err == nil || !strings.Contains(err.Error(), "group.containers") {
		t.Errorf("group: %v", err)
	}
	s.Group.Containers = 1
	for _, k := range []FaultKind{FaultKill, FaultSourceAgentKill} {
		if err := refuseApp(s, Options{Inject: &Fault{Kind: k}}); err == nil || !strings.Contains(err.Error(), "--inject "+string(k)) {
			t.Errorf("inject %s: %v", k, err)
		}
	}
	if err := refuseApp(s, Options{Inject: &Fault{Kind: FaultRestoreFail, Phase: PhaseRestore}}); err != nil {
		t.Errorf("inject restore-fail: %v", err)
	}
	if err := refuseApp(s, Options{}); err != nil {
		t.Error(err)
	}
}

// TestEnsureImage: an image missing on a host is refused with the fix, an
// archive is loaded where the image is missing or another, and two hosts
// with different images are refused.
func TestEnsureImage(t *testing.T) {
	dir := t.TempDir()
	archive := dir + "/app.tar"
	writeArchive(t, archive)
	id, _, err := image.ArchiveImageID(archive)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		archive  string
		src, dst map[string]string
		want     string
		loads    int
		pulled   string
	}{
		{"on both", "", map[string]string{"localhost/app:latest": "sha256:1"}, map[string]string{"localhost/app:latest": "sha256:1"}, "", 0, ""},
		{"missing, no archive, no registry", "", map[string]string{"localhost/app:latest": "sha256:1"}, nil,
			"app.image: localhost/app:latest is not on vm2 and pulling it failed (agent vm2: POST /v1/images/pull?name=localhost%2Fapp%3Alatest: podman pull localhost/app:latest: connection refused): give app.archive", 0, ""},
		{"pulled where missing", "", map[string]string{"localhost/app:latest": "sha256:1"}, nil, "", 0, "sha256:1"},
		{"pulled another", "", map[string]string{"localhost/app:latest": "sha256:1"}, nil, "a restore needs the same image on both hosts", 0, "sha256:7"},
		{"different", "", map[string]string{"localhost/app:latest": "sha256:1"}, map[string]string{"localhost/app:latest": "sha256:2"}, "a restore needs the same image on both hosts", 0, ""},
		{"loaded where missing", archive, map[string]string{"localhost/app:latest": id}, nil, "", 1, "sha256:1"},
		{"loaded where another", archive, map[string]string{"localhost/app:latest": "sha256:9"}, map[string]string{"localhost/app:latest": "sha256:9"}, "", 2, ""},
		{"not an archive", dir, nil, nil, "app.archive:", 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, dst := &fakeAgent{images: c.src, loadedID: id}, &fakeAgent{images: c.dst, loadedID: id, pulledID: c.pulled}
			h1, h2 := fakeHosts(t, src, dst)
			r := &runner{s: models.Scenario{App: models.App{Image: "localhost/app:latest", Archive: c.archive, Port: 1}}, src: h1, dst: h2}
			err := r.ensureImage(context.Background())
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if n := strings.Count(src.log()+dst.log(), "POST /v1/images?"); n != c.loads {
				t.Errorf("%d loads, want %d", n, c.loads)
			}
		})
	}
}

// writeArchive writes a small image archive tagged localhost/app:latest.
func writeArchive(t *testing.T, path string) {
	t.Helper()
	rootfs := path + ".rootfs"
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.Close()
	if err := os.WriteFile(rootfs, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := image.BuildRootfsArchive(f, rootfs, "localhost/app", image.RunConfig{}, filepath.Dir(path)); err != nil {
		t.Fatal(err)
	}
}

// TestPortClash: a port another process holds is named with the fix; other
// errors are not taken for one.
func TestPortClash(t *testing.T) {
	err := portClash(errors.New("podman create: rootlessport listen tcp 0.0.0.0:17000: bind: address already in use"), 17000, "vm1")
	if err == nil || !strings.Contains(err.Error(), "host port 17000 is already in use on vm1") || !strings.Contains(err.Error(), "--host-port") {
		t.Errorf("clash: %v", err)
	}
	if err := portClash(errors.New("image not known"), 17000, "vm1"); err != nil {
		t.Errorf("not a clash: %v", err)
	}
}
