package sim

import (
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// TestPacedWorkloadIsASlowerOne: a workload at half its pace
// (models.Workload.Paced) migrates as the same workload written at half its
// rate, with a growing memory reaching each size twice as late and a
// runtime writing at half its rate: the same rounds, page for page, for
// both memory models; its hot pages stay dirty in every round.
func TestPacedWorkloadIsASlowerOne(t *testing.T) {
	for _, model := range []string{models.ModelPages, models.ModelAnalytic} {
		paced := growingScenario(model)
		paced.Workload.DirtyRate = 384 << 10
		paced.Workload.Runtime = models.RuntimeDirtying{Memory: 512 << 10, Hot: 64 << 10, Rate: 64 << 10}
		slow, unpaced := paced, paced
		paced.Workload = paced.Workload.Paced(0.5)
		slow.Workload.DirtyRate /= 2
		slow.Workload.Runtime.Rate /= 2
		slow.Memory.Growth = []models.GrowthPoint{{After: models.Duration(16 * time.Second), Bytes: 6 << 20}}
		for _, s := range []models.Scenario{paced, slow} {
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		a, b := mustRun(t, paced, models.PreCopy), mustRun(t, slow, models.PreCopy)
		if len(a.Rounds) != len(b.Rounds) || len(a.Rounds) < 3 {
			t.Fatalf("%s: %d rounds paced, %d slower: want the same, at least 3", model, len(a.Rounds), len(b.Rounds))
		}
		for i := range a.Rounds {
			if d := a.Rounds[i].Pages - b.Rounds[i].Pages; d < -1 || d > 1 {
				t.Errorf("%s: round %d sent %d pages paced, %d at half the rate", model, i, a.Rounds[i].Pages, b.Rounds[i].Pages)
			}
		}
		full := mustRun(t, unpaced, models.PreCopy)
		if a.Metrics.BytesSent >= full.Metrics.BytesSent*9/10 {
			t.Errorf("%s: paced at 0.5 sent %d bytes, at its full pace %d: want at least a tenth fewer", model, a.Metrics.BytesSent, full.Metrics.BytesSent)
		}
	}
}
