//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
)

// TestAppRedisCheckpointFailRollsBack kills CRIU while it makes the final
// dump of a cold migration of Redis under its write load (the load already
// paused and the digest taken): appFaultRollsBack.
func TestAppRedisCheckpointFailRollsBack(t *testing.T) {
	appFaultRollsBack(t, "checkpoint-fail@final-dump")
}

// TestAppRedisRestoreFailRollsBack kills CRIU while it restores Redis on the
// target (MIGRLAB_E2E_APPS=all): appFaultRollsBack. The retry restores the
// same container with the same published port on the same target: what the
// killed restore left there (processes in the container's cgroups, conmon,
// runc's state) must be gone, or its restore finds the port in use.
func TestAppRedisRestoreFailRollsBack(t *testing.T) {
	requireAllApps(t)
	appFaultRollsBack(t, "restore-fail@restore")
}

// appFaultRollsBack injects fault into a cold migration of Redis under its
// write load: the migration is rolled back, Redis answers on the source with
// the dataset digest it was frozen with (checked before its load resumed),
// no copy is left on the target; the retry then migrates it with its state
// intact.
func appFaultRollsBack(t *testing.T, fault string) {
	tb := requireAgents(t)
	s := redisScenario(t, "e2e-app-redis-fault")
	ctx, cancel := context.WithTimeout(testCtx, 25*time.Minute)
	defer cancel()
	f, err := real.ParseFault(fault)
	if err != nil {
		t.Fatal(err)
	}
	out, err := real.Run(ctx, tb, s, models.Cold, 0, real.Options{Keep: true, StepTimeout: 8 * time.Minute, Warmup: 3 * time.Second,
		Inject: &f, Retries: 1, Progress: logWriter{t}, Provenance: models.Provenance{Tool: "migrlab", Version: "e2e"}})
	if out != nil {
		t.Cleanup(func() { removeAll(t, out) })
	}
	if err != nil {
		t.Fatalf("the retry after %s failed: %v", fault, err)
	}
	rep := out.Record.Fault
	if rep == nil || !rep.Injected || rep.Outcome != "rolled back" || !rep.Verified || !rep.Cleaned || !rep.Retried {
		t.Fatalf("fault report %+v: want injected, rolled back, verified (digest and probe on the source), cleaned, retried", rep)
	}
	if m := out.Record.Metrics; m.Extra["app_check_passed"] != 1 || m.Extra["app_rollback_check_passed"] != 1 || out.Record.Error != "" {
		t.Errorf("the retry: error %q, extra %v", out.Record.Error, m.Extra)
	}
	onlyOn(t, out, out.Target, out.Source)
	t.Logf("Redis %s: rolled back in %.2fs, then migrated (downtime %.2fs)", fault, rep.RollbackS, out.Record.Metrics.DowntimeS)
}
