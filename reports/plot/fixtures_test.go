package plot

import (
	"github.com/migrlab/migrlab/models"
)

const (
	mib = 1 << 20
	gib = 1 << 30
	mbs = 1e6 // MB/s in bytes per second
)

// sampleRecord builds a successful record.
func sampleRecord(scenario string, role models.Role, technique, backend string, rep int, rate, down, total float64, bytes int64) models.Record {
	r := models.Record{
		Schema: models.RecordSchema, Scenario: scenario, Technique: technique, Backend: backend,
		Repetition: rep, Role: role,
		Metrics:    models.Metrics{DowntimeS: down, TotalTimeS: total, BytesSent: bytes},
		Provenance: models.Provenance{Tool: "migrlab", Version: "test"},
	}
	r.Params.Workload.DirtyRate = models.Rate(rate)
	r.Params.Memory.Size = gib
	r.Params.Network.Bandwidth = 125 * mbs
	return r
}

// truth is a technique's simulated downtime (s), total time (s) and bytes at
// a dirty rate in MB/s.
var truth = map[string]map[float64][3]float64{
	models.Cold:    {5: {8.6, 8.6, 1 * gib}, 20: {8.7, 8.7, 1 * gib}, 50: {8.9, 8.9, 1 * gib}},
	models.PreCopy: {5: {0.061, 9.4, 1.1 * gib}, 20: {0.42, 12.8, 1.6 * gib}, 50: {26.0, 48.0, 5.8 * gib}},
	models.MiGrror: {5: {0.0052, 9.0, 1.05 * gib}, 20: {0.0081, 10.2, 1.2 * gib}, 50: {0.0154, 13.5, 1.55 * gib}},
}

// realOff is how much real measurements differ from the simulation, per
// technique and repetition (5-30%).
var realOff = map[string][]float64{
	models.Cold:    {1.06, 1.09, 1.05},
	models.PreCopy: {1.18, 1.25, 1.12},
	models.MiGrror: {1.30, 1.22, 1.27},
}

// sampleRecords is a study of cold, precopy and MiGrror at dirty rates 5, 20
// and 50 MB/s, three repetitions each, simulated, predicted analytically (one
// repetition) and measured; 5 MB/s is the calibration scenario.
func sampleRecords() []models.Record {
	var out []models.Record
	for _, rate := range []float64{5, 20, 50} {
		scen, role := map[float64]string{5: "dr5", 20: "dr20", 50: "dr50"}[rate], models.RoleValidation
		if rate == 5 {
			role = models.RoleCalibration
		}
		for _, t := range []string{models.Cold, models.PreCopy, models.MiGrror} {
			v := truth[t][rate]
			for rep := range 3 {
				sj := 1 + 0.01*float64(rep-1)
				out = append(out, sampleRecord(scen, role, t, models.BackendSim, rep, rate*mbs, v[0]*sj, v[1]*sj, int64(v[2]*sj)))
				k := realOff[t][rep] * (1 + 0.02*float64(int(rate)%3))
				out = append(out, sampleRecord(scen, role, t, models.BackendReal, rep, rate*mbs, v[0]*k, v[1]*k, int64(v[2]*(1+(k-1)/3))))
			}
			a := 0.93
			out = append(out, sampleRecord(scen, role, t, models.BackendAnalytic, 0, rate*mbs, v[0]*a, v[1]*a, int64(v[2]*a)))
		}
	}
	return out
}
