package fidelity

import (
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// TestProfileConditionsWarnOfABusyMachine: of two apps' profiles, the one
// whose passes ran with the machine's CPU busier than the calibration's run
// guard allows gets a warning that names it, the reason and the fix; the
// other, and both against an empty envelope, none.
func TestProfileConditionsWarnOfABusyMachine(t *testing.T) {
	pc := ProfileConditions{
		"redis":     {models.ExtraOrchestratorBusy: 0.86, models.ExtraOrchestratorSteal: 0},
		"memcached": {models.ExtraOrchestratorBusy: 0.98, models.ExtraOrchestratorSteal: 0},
	}
	e := models.Envelope{Migrations: 12, BusyMedian: 0.85, StealMax: 0.01}
	w := pc.Warnings(e)
	if len(w) != 1 {
		t.Fatalf("warnings %q, want one", w)
	}
	for _, want := range []string{"the profile of memcached", "host CPU 98 % busy", "profile it again with the machine otherwise idle"} {
		if !strings.Contains(w[0], want) {
			t.Errorf("warning %q lacks %q", w[0], want)
		}
	}
	if w := pc.Warnings(models.Envelope{}); w != nil {
		t.Errorf("empty envelope: %q, want none", w)
	}
}
