//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
)

// redisScenario is examples/app-redis.yaml with its built archive
// (requireAppArchive) and two pre-copy rounds at most.
func redisScenario(t *testing.T, name string) models.Scenario {
	t.Helper()
	return appScenario(t, "redis", name)
}

// runApp migrates the app of s with technique on the shared testbed, after
// 5 s under its load, and leaves its container until the test ends.
func runApp(t *testing.T, s models.Scenario, technique string) (*real.Outcome, error) {
	t.Helper()
	return runAppAfter(t, s, technique, 5*time.Second)
}

// runAppAfter is runApp after warmup under the app's load.
func runAppAfter(t *testing.T, s models.Scenario, technique string, warmup time.Duration) (*real.Outcome, error) {
	t.Helper()
	tb := requireAgents(t)
	ctx, cancel := context.WithTimeout(testCtx, 25*time.Minute)
	defer cancel()
	out, err := real.Run(ctx, tb, s, technique, 0, real.Options{Keep: true, StepTimeout: 8 * time.Minute, Warmup: warmup,
		Progress: logWriter{t}, Provenance: models.Provenance{Tool: "migrlab", Version: "e2e"}})
	if out != nil {
		t.Cleanup(func() { removeAll(t, out) })
	}
	return out, err
}

// onlyOn checks that the app's container runs on host `on` and has no copy
// on the other.
func onlyOn(t *testing.T, out *real.Outcome, on, other *real.Host) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testCtx, 3*time.Minute)
	defer cancel()
	mb := out.Members[0]
	c, here, err := on.Agent.Inspect(ctx, mb.ID)
	_, there, oerr := other.Agent.Inspect(ctx, mb.ID)
	if err != nil || oerr != nil {
		t.Fatalf("inspect: %v, %v", err, oerr)
	}
	if !here || !c.Running || there {
		t.Errorf("%s: on %s %v (running %v), on %s %v: want exactly one copy, running on %s",
			mb.Name, on.Name, here, c.Running, other.Name, there, on.Name)
	}
}

// TestAppRedisPreCopy migrates Redis (examples/app-redis.yaml: Debian's
// redis-server, loaded on the hosts from an image archive) with two pre-copy
// rounds under its write load: Redis's dataset digest (DEBUG DIGEST) is the
// same before the freeze and after the restore, the client-side downtime
// comes from PINGs, and the load followed Redis to the target.
func TestAppRedisPreCopy(t *testing.T) {
	s := redisScenario(t, "e2e-app-redis")
	out, err := runApp(t, s, models.PreCopy)
	if err != nil {
		t.Fatalf("pre-copy of Redis: %v", err)
	}
	rec, m := out.Record, out.Record.Metrics
	if rec.Error != "" || m.LiveRounds != 2 || m.ProbeDowntimeS <= 0 || m.DowntimeS <= 0 {
		t.Errorf("record: error %q, live rounds %d, probe downtime %.3fs, downtime %.3fs", rec.Error, m.LiveRounds, m.ProbeDowntimeS, m.DowntimeS)
	}
	if m.Extra["app_check_passed"] != 1 {
		t.Errorf("the state check did not pass: extra %v", m.Extra)
	}
	if m.Extra["load_source_bytes"] <= 0 || m.Extra["load_target_bytes"] <= 0 {
		t.Errorf("the load did not write to Redis on both hosts: %v bytes to the source, %v to the target",
			m.Extra["load_source_bytes"], m.Extra["load_target_bytes"])
	}
	if len(rec.Rounds) != 3 || rec.Rounds[0].Pages <= 0 || !rec.Rounds[2].Frozen {
		t.Errorf("rounds %+v", rec.Rounds)
	}
	onlyOn(t, out, out.Target, out.Source)
	t.Logf("Redis pre-copy: downtime %.2fs, client-side (PING) %.2fs, quiesce %.2fs, rounds %d/%d/%d pages",
		m.DowntimeS, m.ProbeDowntimeS, m.Extra["app_quiesce_s"], rec.Rounds[0].Pages, rec.Rounds[1].Pages, rec.Rounds[2].Pages)
}

// TestAppRedisMiGrror migrates Redis with MiGrror under its write load,
// the trigger brought forward to 20 s: the syncs ran, the dataset digest is
// the same after the restore, the client-side downtime was recorded and
// one copy runs, on the target.
func TestAppRedisMiGrror(t *testing.T) {
	s := redisScenario(t, "e2e-app-redis-migrror")
	s.MiGrror.Trigger = models.Duration(20 * time.Second)
	out, err := runApp(t, s, models.MiGrror)
	if err != nil {
		t.Fatalf("MiGrror of Redis: %v", err)
	}
	rec, m := out.Record, out.Record.Metrics
	if rec.Error != "" || m.LiveRounds < 2 || m.ProbeDowntimeS <= 0 || m.Extra["app_check_passed"] != 1 {
		t.Errorf("record: error %q, syncs %d, probe downtime %.3fs, extra %v", rec.Error, m.LiveRounds, m.ProbeDowntimeS, m.Extra)
	}
	requireOtherWork(t, rec)
	onlyOn(t, out, out.Target, out.Source)
	t.Logf("Redis MiGrror: %d syncs, downtime %.2fs, client-side (PING) %.2fs", m.LiveRounds, m.DowntimeS, m.ProbeDowntimeS)
}

// TestAppRedisFailedCheckRollsBack: a check whose digest differs after the
// restore (it prints the host it runs against) fails the migration: the
// run returns an error that says why, the record carries it, and Redis runs
// on the source again, with no copy on the target.
func TestAppRedisFailedCheckRollsBack(t *testing.T) {
	s := redisScenario(t, "e2e-app-redis-check")
	s.App.Load.Exec = ""
	s.App.Check.Exec = `echo "$HOST"`
	out, err := runApp(t, s, models.Cold)
	if err == nil || !strings.Contains(err.Error(), "state check failed") {
		t.Fatalf("err = %v, want the failed state check", err)
	}
	if out == nil || !strings.Contains(out.Record.Error, "state check failed") {
		t.Fatalf("the record does not say why the migration failed: %+v", out)
	}
	onlyOn(t, out, out.Source, out.Target)
}
