package fidelity

import (
	"context"
	"fmt"
	"slices"

	"github.com/migrlab/migrlab/models"
)

// Replay is a Runner that returns recorded real migrations instead of
// running them: a comparison (or a calibration fit) can be redone with
// another calibration or model without the testbed.
type Replay struct {
	recs map[replayKey]models.Record
}

type replayKey struct {
	scenario, technique string
	rep                 int
}

// NewReplay indexes the real records (the first of each scenario,
// technique and repetition) and returns the scenarios they ran, in order of
// first appearance, with the techniques and repetitions recorded. Roles are
// dropped, the comparison assigns them again, but for warm-up, probe and
// check migrations' (models.Role.Auxiliary): they stay out of the scores.
func NewReplay(recs []models.Record) (*Replay, []models.Scenario) {
	r := &Replay{recs: map[replayKey]models.Record{}}
	var scenarios []models.Scenario
	index := map[string]int{}
	for _, rec := range recs {
		if rec.Backend != models.BackendReal {
			continue
		}
		k := replayKey{rec.Scenario, rec.Technique, rec.Repetition}
		if _, dup := r.recs[k]; dup {
			continue
		}
		if !rec.Role.Auxiliary() {
			rec.Role = ""
		}
		r.recs[k] = rec
		i, ok := index[rec.Scenario]
		if !ok {
			s := rec.Params
			s.Name, s.Techniques, s.Repetitions = rec.Scenario, nil, 0
			index[rec.Scenario], i = len(scenarios), len(scenarios)
			scenarios = append(scenarios, s)
		}
		s := &scenarios[i]
		if !slices.Contains(s.Techniques, rec.Technique) {
			s.Techniques = append(s.Techniques, rec.Technique)
		}
		s.Repetitions = max(s.Repetitions, rec.Repetition+1)
	}
	return r, scenarios
}

// Run implements Runner: the recorded record, with its recorded error.
func (r *Replay) Run(_ context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	rec, ok := r.recs[replayKey{s.Name, technique, rep}]
	if !ok {
		return models.Record{}, fmt.Errorf("replay: no real record of %s %s repetition %d", s.Name, technique, rep)
	}
	if rec.Error != "" {
		return rec, fmt.Errorf("recorded failure: %s", rec.Error)
	}
	return rec, nil
}
