package reports

import (
	"fmt"
	"math"

	"github.com/migrlab/migrlab/models"
)

// Phase is a part of a migration whose prediction error can be told apart
// in the records: where a downtime or bytes error comes from.
type Phase struct {
	Name string
	Unit Unit
	// Of returns the phase's value in a record, ok false when it has none.
	Of func(models.Record) (float64, bool)
}

func finalRound(r models.Record) (models.RoundRecord, bool) {
	if n := len(r.Rounds); n > 0 && r.Rounds[n-1].Frozen {
		return r.Rounds[n-1], true
	}
	return models.RoundRecord{}, false
}

// Phases are the downtime's three parts (they add up to the downtime: it
// runs from the final round's start to the resume) and the bytes of the
// full, delta and final rounds.
var Phases = []Phase{
	{"final dump (downtime)", UnitSeconds, func(r models.Record) (float64, bool) {
		f, ok := finalRound(r)
		return f.DurationS - f.TransferS, ok
	}},
	{"final transfer (downtime)", UnitSeconds, func(r models.Record) (float64, bool) {
		f, ok := finalRound(r)
		return f.TransferS, ok
	}},
	{"restore and resume (downtime)", UnitSeconds, func(r models.Record) (float64, bool) {
		f, ok := finalRound(r)
		return r.Metrics.DowntimeS - f.DurationS, ok
	}},
	{"live rounds (time)", UnitSeconds, func(r models.Record) (float64, bool) {
		f, ok := finalRound(r)
		return f.StartS, ok && r.Metrics.LiveRounds > 0
	}},
	{"full round (bytes)", UnitBytes, func(r models.Record) (float64, bool) {
		if len(r.Rounds) > 0 && r.Rounds[0].Kind == string(models.RoundFull) {
			return float64(r.Rounds[0].Bytes), true
		}
		return 0, false
	}},
	{"delta rounds (bytes)", UnitBytes, func(r models.Record) (float64, bool) {
		var b int64
		for _, x := range r.Rounds {
			if x.Kind == string(models.RoundDelta) {
				b += x.Bytes
			}
		}
		return float64(b), r.Metrics.LiveRounds > 1
	}},
	{"final round (bytes)", UnitBytes, func(r models.Record) (float64, bool) {
		f, ok := finalRound(r)
		return float64(f.Bytes), ok
	}},
}

// PhaseTables break the simulator's prediction error down by phase: one row
// per validation pair and phase (detail), and per technique and phase the
// mean absolute and mean signed error (summary). Pairs of the analytic model,
// of calibration scenarios and of group migrations are left out.
func PhaseTables(recs []models.Record) (detail, summary Table) {
	ct, _ := Compare(recs)
	detail = Table{
		Title: "Simulator error per phase, validation scenarios (error = predicted - measured)",
		Columns: []Column{
			{Key: "scenario", Header: "Scenario"}, {Key: "technique", Header: "Technique"},
			{Key: "repetition", Header: "Rep", Align: AlignRight}, {Key: "phase", Header: "Phase"},
			{Key: "predicted", Header: "Predicted", Align: AlignRight},
			{Key: "measured", Header: "Measured", Align: AlignRight},
			{Key: "error", Header: "Error", Align: AlignRight},
			{Key: "rel_error", Header: "Rel. error", Align: AlignRight},
			{Key: "host_steal", Header: "Host steal", Align: AlignRight},
		},
		Notes: []string{"Host steal: the share of the orchestrator's CPU time stolen by the hypervisor under it during the measured migration " +
			"(on a local testbed it runs the VMs: a high share slows every phase at once)."},
	}
	type acc struct {
		abs, signed, ape float64
		n, nRel          int
	}
	type key struct{ technique, phase string }
	sums := map[key]*acc{}
	var order []key
	for _, p := range ct.Pairs {
		if p.Predicted.Backend != models.BackendSim || p.Role() == models.RoleCalibration || p.Role().Auxiliary() || p.Measured.Metrics.Extra[models.ExtraMembers] > 1 {
			continue
		}
		for _, ph := range Phases {
			pv, okP := ph.Of(p.Predicted)
			mv, okM := ph.Of(p.Measured)
			if !okP || !okM {
				continue
			}
			row := []Cell{Text(p.Measured.Scenario), Text(p.Measured.Technique),
				Number(float64(p.Measured.Repetition), UnitCount), Text(ph.Name),
				Number(pv, ph.Unit), Number(mv, ph.Unit), Signed(pv-mv, ph.Unit), {}, {}}
			if v, ok := p.Measured.Metrics.Extra[models.ExtraOrchestratorSteal]; ok {
				row[8] = Number(v, UnitFraction)
			}
			k := key{p.Measured.Technique, ph.Name}
			a := sums[k]
			if a == nil {
				a = &acc{}
				sums[k] = a
				order = append(order, k)
			}
			a.abs += math.Abs(pv - mv)
			a.signed += pv - mv
			a.n++
			if mv != 0 {
				row[7] = Signed((pv-mv)/math.Abs(mv), UnitFraction)
				a.ape += math.Abs(pv-mv) / math.Abs(mv)
				a.nRel++
			}
			detail.Rows = append(detail.Rows, row)
		}
	}
	summary = Table{
		Title: "Simulator error per phase and technique over the validation pairs (mean absolute error, mean signed error, MAPE)",
		Columns: []Column{
			{Key: "technique", Header: "Technique"}, {Key: "phase", Header: "Phase"},
			{Key: "n", Header: "n", Align: AlignRight},
			{Key: "mean_abs_error", Header: "Mean |error|", Align: AlignRight},
			{Key: "mean_error", Header: "Mean error", Align: AlignRight},
			{Key: "mape", Header: "MAPE", Align: AlignRight},
		},
		Notes: []string{"The three downtime phases add up to the downtime; the three bytes phases to the bytes sent.",
			"Positive errors: the simulator overestimates."},
	}
	for _, k := range order {
		a := sums[k]
		unit := UnitSeconds
		for _, ph := range Phases {
			if ph.Name == k.phase {
				unit = ph.Unit
			}
		}
		mape := Cell{}
		if a.nRel > 0 {
			mape = Number(a.ape/float64(a.nRel), UnitFraction)
		}
		summary.Rows = append(summary.Rows, []Cell{Text(k.technique), Text(k.phase),
			Number(float64(a.n), UnitCount), Number(a.abs/float64(a.n), unit),
			Signed(a.signed/float64(a.n), unit), mape})
	}
	if len(summary.Rows) == 0 {
		summary.Notes = append(summary.Notes, fmt.Sprintf("No validation pair of the simulator with a measured migration (%d pairs in all).", len(ct.Pairs)))
	}
	return detail, summary
}
