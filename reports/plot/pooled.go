package plot

import (
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// poolable are the parameters a plot's medians may pool unseen, by the
// plural the note uses.
var poolable = map[string]func(models.Record) float64{
	"memory sizes": func(r models.Record) float64 { return float64(r.Params.Memory.Size) },
	"dirty rates":  func(r models.Record) float64 { return float64(r.Params.Workload.DirtyRate) },
	"bandwidths":   func(r models.Record) float64 { return float64(r.Params.Network.Bandwidth) },
}

// pooledNote says which of the named parameters differ among recs (among
// the measured ones when there are: a calibrated prediction's memory holds
// the runtime's too): "Medians pool several dirty rates and bandwidths.";
// "" when none does. Short, so it fits under a small figure.
func pooledNote(recs []models.Record, names ...string) string {
	pool := slices.DeleteFunc(slices.Clone(recs), func(r models.Record) bool { return r.Backend != models.BackendReal })
	if len(pool) == 0 {
		pool = recs
	}
	var differ []string
	for _, n := range names {
		get := poolable[n]
		if slices.ContainsFunc(pool, func(r models.Record) bool { return get(r) != get(pool[0]) }) {
			differ = append(differ, n)
		}
	}
	switch len(differ) {
	case 0:
		return ""
	case 1:
		return "Medians pool several " + differ[0] + "."
	}
	return "Medians pool several " + strings.Join(differ[:len(differ)-1], ", ") + " and " + differ[len(differ)-1] + "."
}
