package reports

import (
	"github.com/migrlab/migrlab/models"
)

// jitter varies fixture values by repetition, deterministically.
var jitter = []float64{0, 0.03, -0.02, 0.05, -0.04, 0.01, 0.02}

// rec builds a successful record with headline metrics scaled by the
// repetition's jitter.
func rec(scenario string, role models.Role, technique, backend string, rep int, downS, totalS float64, bytes int64, rounds int, stop string) models.Record {
	shift := 0
	if backend == models.BackendReal {
		shift = 2 // measurements vary differently from predictions
	}
	j := 1 + jitter[(rep+shift)%len(jitter)]
	return models.Record{
		Schema: models.RecordSchema, Scenario: scenario, Technique: technique, Backend: backend,
		Repetition: rep, Seed: uint64(1000 + rep), Role: role,
		Metrics: models.Metrics{
			DowntimeS: downS * j, TotalTimeS: totalS * j, BytesSent: int64(float64(bytes) * j),
			LiveRounds: rounds, StopReason: stop, Converged: stop == string(models.StopThreshold),
		},
		Provenance: models.Provenance{Tool: "migrlab", Version: "test"},
	}
}

// fixtureRecords is a small study: web-1g (validation; listed first, with
// migrror before precopy to check ordering) and idle-small (calibration),
// predicted by sim and analytic and measured on real hosts. It holds a failed
// real run and a real repetition without a prediction.
func fixtureRecords() []models.Record {
	const mib = 1 << 20
	var rs []models.Record
	for rep := range 3 {
		rs = append(rs,
			rec("web-1g", models.RoleValidation, models.MiGrror, models.BackendSim, rep, 0.0081, 12.4, 1210*mib, 1, "trigger"),
			rec("web-1g", models.RoleValidation, models.MiGrror, models.BackendReal, rep, 0.0094, 12.9, 1260*mib, 1, "trigger"))
	}
	for rep := range 6 {
		stop := string(models.StopThreshold)
		if rep == 4 {
			stop = string(models.StopMaxRounds)
		}
		rs = append(rs,
			rec("web-1g", models.RoleValidation, models.PreCopy, models.BackendSim, rep, 0.0215, 14.2, 1580*mib, 5, stop),
			rec("web-1g", models.RoleValidation, models.PreCopy, models.BackendReal, rep, 0.0250, 15.1, 1650*mib, 5+rep%2, stop))
	}
	extra := rec("web-1g", models.RoleValidation, models.PreCopy, models.BackendReal, 6, 0.027, 15.3, 1700*mib, 6, "threshold")
	failed := rec("web-1g", models.RoleValidation, models.PreCopy, models.BackendReal, 7, 0.5, 40, 300*mib, 2, "")
	failed.Error = "criu dump: connection reset by peer"
	rs = append(rs, extra, failed)
	rs = append(rs,
		rec("idle-small", models.RoleCalibration, models.PreCopy, models.BackendAnalytic, 0, 0.0042, 1.12, 70*mib, 2, "threshold"),
		rec("idle-small", models.RoleCalibration, models.Cold, models.BackendAnalytic, 0, 0.61, 0.61, 64*mib, 0, "no_live_rounds"))
	for rep := range 2 {
		rs = append(rs,
			rec("idle-small", models.RoleCalibration, models.Cold, models.BackendSim, rep, 0.62, 0.62, 64*mib, 0, "no_live_rounds"),
			rec("idle-small", models.RoleCalibration, models.Cold, models.BackendReal, rep, 0.71, 0.71, 66*mib, 0, "no_live_rounds"),
			rec("idle-small", models.RoleCalibration, models.PreCopy, models.BackendReal, rep, 0.0051, 1.31, 72*mib, 2, "threshold"))
	}
	return rs
}

// roundsRecord is a real pre-copy run with three live rounds and the frozen one.
func roundsRecord() models.Record {
	r := rec("web-1g", models.RoleValidation, models.PreCopy, models.BackendReal, 0, 0.025, 15.1, 1650<<20, 3, "threshold")
	r.Rounds = []models.RoundRecord{
		{Index: 0, Kind: "full", StartS: 0, DurationS: 11.2, Bytes: 1 << 30, Pages: 262144, DumpS: 1.4, TransferS: 9.8, BandwidthBps: 109.6e6},
		{Index: 1, Kind: "delta", StartS: 11.2, DurationS: 3.1, Bytes: 310 << 20, Pages: 79360, DumpS: 0.35, TransferS: 2.75, BandwidthBps: 118.2e6},
		{Index: 2, Kind: "delta", StartS: 14.3, DurationS: 0.71, Bytes: 52 << 20, Pages: 13312, DumpS: 0.09, TransferS: 0.62, BandwidthBps: 87.9e6},
		{Index: 3, Kind: "final", StartS: 15.01, DurationS: 0.025, Bytes: 180 << 10, Pages: 45, DumpS: 0.011, TransferS: 0.0021, BandwidthBps: 87.8e6, Frozen: true},
	}
	return r
}

// kindsTable has one cell of every kind and text that needs escaping.
func kindsTable() Table {
	return Table{
		Title: "Cells & escaping: 100% of {kinds} #1",
		Columns: []Column{
			{Key: "name", Header: "Name_of cell"},
			{Key: "time_s", Header: "Time"},
			{Key: "size", Header: "Size"},
			{Key: "rate_bytes_per_s", Header: "Rate"},
			{Key: "share", Header: "Share"},
			{Key: "est_s", Header: "Estimate"},
			{Key: "flag", Header: "Flag"},
			{Key: "hidden", Header: "Hidden", DataOnly: true},
		},
		Rows: [][]Cell{
			{Text(`a_b & c % $d# {e} \f ~g ^h | pipe "q"`), Number(0.0125, UnitSeconds), Number(1.25*(1<<30), UnitBytes), Number(118.2e6, UnitBytesPerSecond), Number(0.875, UnitFraction),
				EstimateCell(Estimate{Center: 0.0125, Lo: 0.0119, Hi: 0.0131, N: 10, Coverage: 0.978}, UnitSeconds), Bool(true), Number(7, UnitCount)},
			{Label("human <b>", "data <b>"), Number(3.2e-6, UnitSeconds), Number(512, UnitBytes), Missing(), Signed(-0.052, UnitFraction),
				EstimateCell(Estimate{Center: 0.0021, Lo: 0.0009, Hi: 0.0042, N: 3, Coverage: 0.75, Range: true}, UnitSeconds), Bool(false), Missing()},
			{Missing(), Number(125, UnitSeconds), Number(0, UnitBytes), Number(950, UnitBytesPerSecond), Signed(0.1, UnitFraction),
				EstimateCell(Estimate{Center: 1.5, Lo: 1.5, Hi: 1.5, N: 1, Range: true}, UnitSeconds), Missing(), Number(2.5, UnitNone)},
		},
		Notes: []string{"A note with an_underscore."},
	}
}

// briefRecords are fixtureRecords as a comparison writes them, with what
// the brief reads beside: a second validation scenario (db-256m, cold),
// intervals on the simulator's validation predictions (downtime and total
// time within 8 %, bytes within 3 % of the prediction), the closed-form
// model's predictions of the validation migrations, and one migration
// flagged by the run guard.
func briefRecords() []models.Record {
	const mib = 1 << 20
	rs := fixtureRecords()
	for rep := range 3 {
		rs = append(rs,
			rec("db-256m", models.RoleValidation, models.Cold, models.BackendSim, rep, 2.41, 2.41, 258*mib, 0, "no_live_rounds"),
			rec("db-256m", models.RoleValidation, models.Cold, models.BackendReal, rep, 2.55, 2.55, 259*mib, 0, "no_live_rounds"),
			rec("db-256m", models.RoleValidation, models.Cold, models.BackendAnalytic, rep, 2.2, 2.2, 256*mib, 0, "no_live_rounds"))
	}
	for i, r := range rs {
		if r.Role != models.RoleValidation || r.Error != "" {
			continue
		}
		switch r.Backend {
		case models.BackendSim:
			m := r.Metrics
			b := float64(m.BytesSent)
			rs[i].Interval = &models.Interval{Confidence: 0.9, Draws: 12,
				DowntimeS: [2]float64{m.DowntimeS / 1.08, m.DowntimeS * 1.08}, TotalTimeS: [2]float64{m.TotalTimeS / 1.08, m.TotalTimeS * 1.08},
				BytesSent: [2]float64{b / 1.03, b * 1.03}}
			if r.Scenario == "web-1g" {
				a := r
				a.Backend, a.Interval = models.BackendAnalytic, nil
				a.Metrics.DowntimeS *= 0.7
				a.Metrics.BytesSent = int64(b * 0.9)
				rs = append(rs, a)
			}
		case models.BackendReal:
			if r.Scenario == "web-1g" && r.Technique == models.PreCopy && r.Repetition == 5 {
				rs[i].Flags = []string{"host CPU 97 % busy, the calibration's migrations 85 % (other work on the machine)"}
			}
		}
	}
	return rs
}

// briefCalibration is a calibration's noise floor for cold and pre-copy.
func briefCalibration() *models.Calibration {
	c := &models.Calibration{}
	for _, n := range []struct {
		technique string
		down, b   float64
	}{{models.Cold, 0.014, 0.0009}, {models.PreCopy, 0.035, 0.0055}} {
		c.Noise = append(c.Noise,
			models.Noise{Technique: n.technique, Metric: string(MetricDowntime), FloorMAPE: n.down, Cells: 2, N: 6},
			models.Noise{Technique: n.technique, Metric: string(MetricTotalTime), FloorMAPE: n.down, Cells: 2, N: 6},
			models.Noise{Technique: n.technique, Metric: string(MetricBytes), FloorMAPE: n.b, Cells: 2, N: 6})
	}
	return c
}
