package sim

import "github.com/migrlab/migrlab/models"

// scratch is a sweep worker's memory, reused from scenario to scenario so
// that a sweep makes little garbage: the collector then runs seldom and the
// runtime does not give pages back to the kernel only to fault them in again
// (on two cores that churn was the CPU a second core spends and one does
// not). What it holds is read before the worker's next scenario overwrites
// it: each member's rounds (models.RoundsLender), which recordOf copies into
// the record, and the scenario's records once the encoder has encoded them.
type scratch struct {
	rounds   [][]models.Round // by group member
	records  []models.Record
	scenario models.Scenario // the one simulated now (see hold)
	encode   encodeScratch
}

// hold returns a pointer to a copy of s that lives in the scratch, for the
// simulation's environments and the encoder: a pointer to the caller's own s
// would move it to the heap, scenario after scenario.
func (sc *scratch) hold(s models.Scenario) *models.Scenario {
	sc.scenario = s
	return &sc.scenario
}

// lend gives env member i's rounds to lend, when there is a scratch.
func (sc *scratch) lend(env *Env, i int) {
	if sc == nil {
		return
	}
	if i >= len(sc.rounds) {
		sc.rounds = append(sc.rounds, make([][]models.Round, i+1-len(sc.rounds))...)
	}
	env.lent = sc.rounds[i]
}

// keep takes back the members' rounds after a run: a slice that grew past the
// lent one (or was made because none was lent) is the next run's.
func (sc *scratch) keep(ms []models.Result) {
	if sc == nil {
		return
	}
	for i, m := range ms {
		if i < len(sc.rounds) && cap(m.Rounds) > cap(sc.rounds[i]) {
			sc.rounds[i] = m.Rounds[:0]
		}
	}
}

// LendRounds implements models.RoundsLender: the sweep worker's slice for
// this member, or nil outside a sweep.
func (v *Env) LendRounds() []models.Round { return v.lent }
