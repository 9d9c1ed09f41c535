package fidelity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// TestSummaryFitsTheTerminal: the brief and the per-scenario scores go to
// the terminal together while they fit in about 40 lines; with more
// scenarios the scores stay in report.md and one line says so; CSV and
// JSON get the brief alone.
func TestSummaryFitsTheTerminal(t *testing.T) {
	recs := func(scenarios int) []models.Record {
		var out []models.Record
		for i := range scenarios {
			for _, b := range []string{models.BackendSim, models.BackendReal} {
				out = append(out, models.Record{Scenario: fmt.Sprintf("s%d", i), Technique: models.Cold, Backend: b, Role: models.RoleValidation,
					Metrics: models.Metrics{DowntimeS: 1, TotalTimeS: 1, BytesSent: 100}})
			}
		}
		return out
	}
	for _, c := range []struct {
		scenarios int
		scores    bool
	}{{3, true}, {30, false}} {
		var out strings.Builder
		if err := writeSummary(&out, reports.FormatTable, recs(c.scenarios), nil, "out/x"); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		lines := strings.Count(s, "\n")
		hasScores := strings.Contains(s, "│ s2 ")
		pointer := strings.Contains(s, fmt.Sprintf("Per validation scenario and technique (%d rows): out/x/report.md\n", c.scenarios))
		if lines+1 > terminalLines || hasScores != c.scores || pointer == c.scores {
			t.Errorf("%d scenarios: %d lines, scores shown %v, pointer %v; want scores %v\n%s", c.scenarios, lines, hasScores, pointer, c.scores, s)
		}
	}
	for _, f := range []reports.Format{reports.FormatCSV, reports.FormatJSON} {
		var out strings.Builder
		if err := writeSummary(&out, f, recs(3), nil, "out/x"); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), "s2") || strings.Contains(out.String(), "report.md") {
			t.Errorf("%s: more than the brief:\n%s", f, out.String())
		}
	}
}
