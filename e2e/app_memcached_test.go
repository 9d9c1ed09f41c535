//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/image"
)

// appArchives are the example applications' image archives (real/image.Apps:
// Debian's packages through mmdebstrap, no registry), each built at most once
// per run and cached in the temporary directory under a name that changes
// with its recipe (migrlab-app-NAME-HASH.tar, the name Redis's archive has
// always been cached under).
var appArchives struct {
	mu   sync.Mutex
	byID map[string]*appArchive
}

type appArchive struct {
	once sync.Once
	path string
	err  error
}

// requireAppArchive returns the image archive of the example application
// name (a key of image.Apps), building it when it is not cached.
func requireAppArchive(t *testing.T, name string) string {
	t.Helper()
	d, ok := image.Apps[name]
	if !ok {
		t.Fatalf("no example application %q (image.Apps)", name)
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skipf("mmdebstrap is not installed: it builds the %s image (apt-get install mmdebstrap)", name)
	}
	appArchives.mu.Lock()
	if appArchives.byID == nil {
		appArchives.byID = map[string]*appArchive{}
	}
	a := appArchives.byID[name]
	if a == nil {
		a = &appArchive{}
		appArchives.byID[name] = a
	}
	appArchives.mu.Unlock()
	a.once.Do(func() {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%+v", d)))
		a.path = filepath.Join(os.TempDir(), "migrlab-app-"+name+"-"+hex.EncodeToString(sum[:4])+".tar")
		if _, err := os.Stat(a.path); err == nil {
			logf("%s image archive cached: %s", name, a.path)
			return
		}
		ctx, cancel := context.WithTimeout(testCtx, 15*time.Minute)
		defer cancel()
		logf("building the %s image archive with mmdebstrap (about a minute)", name)
		_, a.err = image.BuildDebianArchive(ctx, d, a.path)
	})
	if a.err != nil {
		t.Fatalf("building the %s image archive: %v", name, a.err)
	}
	return a.path
}

// appScenario is examples/app-NAME.yaml with its built archive and two
// pre-copy rounds at most.
func appScenario(t *testing.T, name, scenario string) models.Scenario {
	t.Helper()
	f, err := os.Open("../examples/app-" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := models.ParseScenario(f)
	if err != nil {
		t.Fatal(err)
	}
	s.Name = scenario
	s.App.Archive = requireAppArchive(t, name)
	s.PreCopy.Stop.MaxRounds = 2
	return s
}

// requireAllApps skips a test of the apps beyond Redis unless
// MIGRLAB_E2E_APPS=all (scripts/just apps sets it): each adds about three
// minutes under TCG, more with its image build, to the default e2e run.
func requireAllApps(t *testing.T) {
	t.Helper()
	if os.Getenv("MIGRLAB_E2E_APPS") != "all" {
		t.Skip("set MIGRLAB_E2E_APPS=all (scripts/just apps) to migrate the example apps beyond Redis")
	}
}

// TestAppMemcachedPreCopy migrates memcached (examples/app-memcached.yaml:
// Debian's memcached, loaded on the hosts from an image archive) with two
// pre-copy rounds under its write load: the digest of its whole key space is
// the same before the freeze and after the restore, the client-side downtime
// comes from its "version" probe, the load followed memcached to the target,
// and exactly one copy runs, on the target.
func TestAppMemcachedPreCopy(t *testing.T) {
	requireAllApps(t)
	s := appScenario(t, "memcached", "e2e-app-memcached")
	out, err := runApp(t, s, models.PreCopy)
	if err != nil {
		t.Fatalf("pre-copy of memcached: %v", err)
	}
	rec, m := out.Record, out.Record.Metrics
	if rec.Error != "" || m.LiveRounds != 2 || m.ProbeDowntimeS <= 0 || m.DowntimeS <= 0 {
		t.Errorf("record: error %q, live rounds %d, probe downtime %.3fs, downtime %.3fs", rec.Error, m.LiveRounds, m.ProbeDowntimeS, m.DowntimeS)
	}
	if m.Extra["app_check_passed"] != 1 {
		t.Errorf("the key space's digest changed across the migration (or was not taken): extra %v", m.Extra)
	}
	if m.Extra["load_source_bytes"] <= 0 || m.Extra["load_target_bytes"] <= 0 {
		t.Errorf("the load did not write to memcached on both hosts: %v bytes to the source, %v to the target",
			m.Extra["load_source_bytes"], m.Extra["load_target_bytes"])
	}
	if len(rec.Rounds) != 3 || rec.Rounds[0].Pages <= 0 || !rec.Rounds[2].Frozen {
		t.Errorf("rounds %+v", rec.Rounds)
	}
	onlyOn(t, out, out.Target, out.Source)
	if len(rec.Rounds) == 3 {
		t.Logf("memcached pre-copy: downtime %.2fs, client-side (version) %.2fs, quiesce %.2fs, rounds %d/%d/%d pages",
			m.DowntimeS, m.ProbeDowntimeS, m.Extra["app_quiesce_s"], rec.Rounds[0].Pages, rec.Rounds[1].Pages, rec.Rounds[2].Pages)
	}
}
