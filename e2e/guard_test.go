//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// TestRunGuardSeesOtherWorkInTheGuest: a cold migration on a quiet source
// records almost no CPU busy outside the migration's own cgroups; the same
// migration with a busy loop in a login session on the source records it
// (a quarter of the guest's CPU or more, of two vCPUs), and an envelope
// widened by the quiet one flags the loaded one for other work in the guest.
func TestRunGuardSeesOtherWorkInTheGuest(t *testing.T) {
	tb := requireAgents(t)
	src := requireTestbed(t).Hosts[0]
	quiet := migrate(t, tb, scenarioMem(t, "e2e-guard-quiet", "16MiB", ""), models.Cold)
	if quiet.Source.Name != src.Name {
		t.Fatalf("the migration ran from %s, the busy loop would run on %s", quiet.Source.Name, src.Name)
	}
	requireOtherWork(t, quiet.Record)
	for _, k := range []string{models.ExtraSourceOther, models.ExtraTargetOther} {
		if o := quiet.Record.Metrics.Extra[k]; o > 0.15 {
			t.Errorf("quiet guests: %s = %.2f, want almost none", k, o)
		}
	}

	removeAll(t, quiet) // the next one listens on the same port

	sshRun(t, src, time.Minute, "systemd-run --quiet --unit=migrlab-e2e-busy --slice=user.slice timeout 300 sh -c 'while :; do :; done'")
	t.Cleanup(func() { sshRun(t, src, time.Minute, "systemctl stop migrlab-e2e-busy 2>/dev/null || true") })
	loaded := migrate(t, tb, scenarioMem(t, "e2e-guard-loaded", "16MiB", ""), models.Cold)
	other := loaded.Record.Metrics.Extra[models.ExtraSourceOther]
	t.Logf("source busy outside the migration: quiet %.3f, with a busy loop %.3f (busy %.3f)",
		quiet.Record.Metrics.Extra[models.ExtraSourceOther], other, loaded.Record.Metrics.Extra[models.ExtraSourceBusy])
	if other < 0.25 {
		t.Errorf("with a busy loop on the source: %s = %.2f, want at least 0.25", models.ExtraSourceOther, other)
	}
	var e models.Envelope
	e.Widen(quiet.Record)
	if got := e.Check(quiet.Record); got != nil {
		t.Errorf("the quiet migration against its own envelope: flagged %q", got)
	}
	got := strings.Join(e.Check(loaded.Record), "; ")
	if !strings.Contains(got, "source CPU") || !strings.Contains(got, "outside the migration") {
		t.Errorf("the loaded migration: flags %q, want the source's other work named", got)
	}
}
