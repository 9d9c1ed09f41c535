package fidelity

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"gopkg.in/yaml.v3"
)

// CandidatesFile is the file, in WriteCandidates' directory, that holds
// every ranked candidate with its score parts (JSON).
const CandidatesFile = "candidates.json"

// CandidatesTable is the top n candidates (all when n < 1), one row per
// candidate and technique: the score and its parts, the prediction, and
// the scenario's parameters on the candidate's first row.
func CandidatesTable(cands []Candidate, n int) reports.Table {
	if n < 1 || n > len(cands) {
		n = len(cands)
	}
	t := reports.Table{
		Title: fmt.Sprintf("Divergence search: the %d highest-scored of %d candidates (where the model is least to be trusted)", n, len(cands)),
		Columns: []reports.Column{
			{Key: "rank", Header: "Rank", Align: reports.AlignRight},
			{Key: "scenario", Header: "Scenario"},
			{Key: "score", Header: "Score", Align: reports.AlignRight},
			{Key: "technique", Header: "Technique"},
			{Key: "technique_score", Header: "Tech. score", Align: reports.AlignRight},
			{Key: "disagreement", Header: "Sim vs closed form", Align: reports.AlignRight},
			{Key: "flips", Header: "Regime flips", Align: reports.AlignRight},
			{Key: "width", Header: "Interval width", Align: reports.AlignRight},
			{Key: "downtime_s", Header: "Downtime", Align: reports.AlignRight},
			{Key: "live_rounds", Header: "Rounds", Align: reports.AlignRight},
			{Key: "stop_reason", Header: "Stop"},
			{Key: "parameters", Header: "Parameters"},
		},
	}
	for _, c := range cands[:n] {
		for i, ts := range c.Techniques {
			rank, name, sc, params := reports.Missing(), reports.Missing(), reports.Missing(), reports.Missing()
			if i == 0 {
				rank, name = reports.Number(float64(c.Rank), reports.UnitCount), reports.Text(c.Scenario.Name)
				sc, params = reports.Number(c.Score, reports.UnitNone), reports.Text(Parameters(c.Scenario))
			}
			dis := reports.Missing()
			if ts.ClosedForm != nil {
				dis = reports.Number(ts.Disagreement, reports.UnitFraction)
			}
			t.Rows = append(t.Rows, []reports.Cell{rank, name, sc, reports.Text(ts.Technique),
				reports.Number(ts.Score, reports.UnitNone), dis, reports.Number(ts.Flips, reports.UnitFraction),
				reports.Number(ts.Width, reports.UnitFraction), reports.Number(ts.Predicted.DowntimeS, reports.UnitSeconds),
				reports.Number(float64(ts.Predicted.LiveRounds), reports.UnitCount), reports.Text(ts.Predicted.StopReason), params})
		}
	}
	t.Notes = []string{
		"Score per technique: the larger of the simulator's and the closed-form model's relative gap (|a-b|/max) on downtime and bytes, " +
			"and the regime flips (the share of noise draws, the simulator run again under each calibration deviation, whose live rounds or stop reason change) " +
			"plus the downtime interval's width over the prediction. A candidate's score is its highest technique's.",
	}
	return t
}

// Parameters is a scenario's searched parameters in one line.
func Parameters(s models.Scenario) string {
	w := s.Workload
	p := fmt.Sprintf("memory %s, wws %s, dirty_rate %s/s", s.Memory.Size, models.ByteSize(w.WWSBytes(s.Memory)), models.ByteSize(w.DirtyRate))
	if w.HotFraction > 0 {
		p += fmt.Sprintf(", hot_fraction %.2f, hot_share %.2f", w.HotFraction, w.HotShare)
	}
	st := s.PreCopy.Stop
	return p + fmt.Sprintf("; precopy threshold %s, max_rounds %d; migrror sync_threshold %s, trigger %s",
		st.Threshold, st.MaxRounds, s.MiGrror.SyncThreshold, s.MiGrror.Trigger)
}

// WriteCandidates writes every candidate with its score parts to
// dir/CandidatesFile and the top n (all when n < 1) as scenario files,
// dir/<name>.yaml, that `migrlab compare` takes back; it returns the
// scenario files' paths in rank order.
func WriteCandidates(dir string, cands []Candidate, n int) ([]string, error) {
	if n < 1 || n > len(cands) {
		n = len(cands)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(cands, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, CandidatesFile), append(js, '\n'), 0o644); err != nil {
		return nil, err
	}
	var paths []string
	for _, c := range cands[:n] {
		y, err := yaml.Marshal(c.Scenario)
		if err != nil {
			return paths, fmt.Errorf("%s: %w", c.Scenario.Name, err)
		}
		head := fmt.Sprintf("# Divergence search candidate %d of %d, score %.3f\n# %s\n", c.Rank, len(cands), c.Score,
			strings.ReplaceAll(c.Reason(), "\n", " "))
		p := filepath.Join(dir, c.Scenario.Name+".yaml")
		if err := os.WriteFile(p, append([]byte(head), y...), 0o644); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
