package reports

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// group is the records of one row of a summary.
type group struct {
	key     []string
	ok      []models.Record
	failed  int
	records int
}

// groupRecords groups records by keys, ordered as tables order them.
func groupRecords(records []models.Record, keys []GroupKey) []*group {
	o := newOrderer(records)
	byKey := map[string]*group{}
	var out []*group
	for _, r := range records {
		vals := make([]string, len(keys))
		for i, k := range keys {
			vals[i] = k.value(r)
		}
		id := strings.Join(vals, "\x00")
		g := byKey[id]
		if g == nil {
			g = &group{key: vals}
			byKey[id] = g
			out = append(out, g)
		}
		g.records++
		if r.Error != "" {
			g.failed++
			continue
		}
		g.ok = append(g.ok, r)
	}
	slices.SortStableFunc(out, func(a, b *group) int { return o.compareKeys(keys, a.key, b.key) })
	return out
}

// Summarize returns one row per group of records with n, the medians and 95%
// confidence intervals of downtime, total time, bytes sent and live rounds, the
// most common stop reason and the share of converged migrations.
//
// groupBy defaults to [DefaultGroupBy] (scenario, technique, backend); the
// backend is added when it is missing, since the simulator's, the closed
// form's and the testbed's records are never one sample. Rows are
// ordered by scenario in input order, technique in models.TechniqueNames
// order, backend analytic, sim, real. Failed records (Error set) are counted in
// their own column and left out of the statistics. An unknown group key is a
// programmer error and panics; parse user input with [ParseGroupBy].
func Summarize(records []models.Record, groupBy ...GroupKey) Table {
	if len(groupBy) == 0 {
		groupBy = DefaultGroupBy
	}
	if !slices.Contains(groupBy, GroupBackend) {
		groupBy = append(slices.Clone(groupBy), GroupBackend)
	}
	names := make([]string, len(groupBy))
	t := Table{}
	for i, k := range groupBy {
		k.value(models.Record{}) // panics on an unknown key
		names[i] = string(k)
		t.Columns = append(t.Columns, Column{Key: string(k), Header: k.header()})
	}
	t.Title = "Summary per " + joinAnd(names) + ": median [95% CI], n = successful runs"
	t.Columns = append(t.Columns,
		Column{Key: "n", Header: "n", Align: AlignRight},
		Column{Key: "failed", Header: "Failed", Align: AlignRight},
		Column{Key: "downtime_s", Header: "Downtime", Align: AlignRight},
		Column{Key: "total_time_s", Header: "Total time", Align: AlignRight},
		Column{Key: "bytes_sent", Header: "Bytes sent", Align: AlignRight},
		Column{Key: "live_rounds", Header: "Live rounds", Align: AlignRight},
		Column{Key: "stop_reason", Header: "Stop reason", Align: AlignLeft},
		Column{Key: "converged_share", Header: "Converged", Align: AlignRight},
		Column{Key: "ci_coverage", Header: "CI coverage", Align: AlignRight, DataOnly: true},
	)
	anyFailed := false
	for _, g := range groupRecords(records, groupBy) {
		row := make([]Cell, 0, len(t.Columns))
		for _, v := range g.key {
			row = append(row, Text(v))
		}
		n := len(g.ok)
		anyFailed = anyFailed || g.failed > 0
		row = append(row, Number(float64(n), UnitCount), Number(float64(g.failed), UnitCount))
		var down, total, sent, rounds []float64
		converged := 0
		for _, r := range g.ok {
			m := r.Metrics
			down = append(down, m.DowntimeS)
			total = append(total, m.TotalTimeS)
			sent = append(sent, float64(m.BytesSent))
			rounds = append(rounds, float64(m.LiveRounds))
			if m.Converged {
				converged++
			}
		}
		est := MedianCI
		if scenarios(g.ok) > 1 {
			est = medianRange
		}
		d := est(down, Confidence)
		row = append(row,
			EstimateCell(d, UnitSeconds),
			EstimateCell(est(total, Confidence), UnitSeconds),
			EstimateCell(est(sent, Confidence), UnitBytes),
			EstimateCell(est(rounds, Confidence), UnitCount),
		)
		if n == 0 {
			row = append(row, Missing(), Missing(), Missing())
		} else {
			row = append(row, stopReasons(g.ok), Number(float64(converged)/float64(n), UnitFraction), Number(d.Coverage, UnitNone))
		}
		t.Rows = append(t.Rows, row)
	}
	if anyFailed {
		t.Notes = append(t.Notes, "Failed runs (error set) are counted apart and left out of the statistics.")
	}
	if d := disagreements(records); len(d) > 0 {
		t.Notes = append(t.Notes, "The simulator and the closed-form model disagree by more than 2x on the downtime of "+
			strings.Join(d, "; ")+": the closed form's assumptions (constant rates, one container, no runtime dirtying) do not hold there.")
	}
	return t
}

// disagreements names each scenario and technique whose median simulated
// and closed-form downtimes differ by more than a factor of two.
func disagreements(records []models.Record) []string {
	type key struct{ scenario, technique string }
	by := map[key]map[string][]float64{}
	var keys []key
	for _, r := range records {
		if r.Error != "" || r.Backend != models.BackendSim && r.Backend != models.BackendAnalytic {
			continue
		}
		k := key{r.Scenario, r.Technique}
		if by[k] == nil {
			by[k] = map[string][]float64{}
			keys = append(keys, k)
		}
		by[k][r.Backend] = append(by[k][r.Backend], r.Metrics.DowntimeS)
	}
	var out []string
	for _, k := range keys {
		sim, closed := by[k][models.BackendSim], by[k][models.BackendAnalytic]
		if len(sim) == 0 || len(closed) == 0 {
			continue
		}
		a, b := models.Median(sim), models.Median(closed)
		if a > 0 && b > 0 && (a > 2*b || b > 2*a) {
			out = append(out, fmt.Sprintf("%s %s (simulator %s, closed form %s)", k.scenario, k.technique, human(Number(a, UnitSeconds)), human(Number(b, UnitSeconds))))
		}
	}
	return out
}

// scenarios counts the distinct scenarios of rs.
func scenarios(rs []models.Record) int {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Scenario] = true
	}
	return len(seen)
}

// medianRange is the median of xs with the range (min to max) beside it, not
// a confidence interval: the spread of a row that pools several scenarios.
func medianRange(xs []float64, _ float64) Estimate {
	s := sorted(xs)
	if len(s) == 0 {
		return Estimate{Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return Estimate{Center: models.Median(s), Lo: s[0], Hi: s[len(s)-1], N: len(s), Range: true, Coverage: math.NaN()}
}

// stopReasons names the most common stop reason (ties joined with "/", in
// alphabetical order) and, unless unanimous, its count: "threshold (4/5)".
func stopReasons(rs []models.Record) Cell {
	count := map[string]int{}
	for _, r := range rs {
		s := r.Metrics.StopReason
		if s == "" {
			s = "none"
		}
		count[s]++
	}
	best := 0
	for _, c := range count {
		best = max(best, c)
	}
	var top []string
	for s, c := range count {
		if c == best {
			top = append(top, s)
		}
	}
	sort.Strings(top)
	s := strings.Join(top, "/")
	if best == len(rs) {
		return Text(s)
	}
	if len(top) > 1 {
		return Label(fmt.Sprintf("%s (%d/%d each)", s, best, len(rs)), s)
	}
	return Label(fmt.Sprintf("%s (%d/%d)", s, best, len(rs)), s)
}

// joinAnd joins words as "a, b and c".
func joinAnd(w []string) string {
	if len(w) <= 1 {
		return strings.Join(w, "")
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}
