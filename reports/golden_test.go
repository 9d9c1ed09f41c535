package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/migrlab/migrlab/models"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// goldenExt is each format's golden file extension.
var goldenExt = map[Format]string{
	FormatTable: "txt", FormatMarkdown: "md", FormatCSV: "csv", FormatJSON: "json", FormatLaTeX: "tex",
}

// goldenTables are the tables pinned by golden files, in every format.
func goldenTables() map[string]Table {
	cmp, sum := Compare(fixtureRecords())
	return map[string]Table{
		"summary":         Summarize(fixtureRecords()),
		"summary_by_tech": Summarize(fixtureRecords(), GroupTechnique, GroupBackend),
		"compare":         cmp.Table(),
		"compare_summary": sum.Table(),
		"rounds":          Rounds(roundsRecord()),
		"kinds":           kindsTable(),
		"brief":           Brief(briefRecords(), briefCalibration()),
		"scenario_scores": ScenarioScoresTable(briefRecords()),
		"tidy":            Tidy(tidyRecords()[:8], false),
		"tidy_brief":      Tidy(briefRecords()[:6], false),
		"all_rounds":      AllRounds([]models.Record{roundsRecord(), repeated(roundsRecord(), 1)}),
	}
}

func TestGolden(t *testing.T) {
	for name, tab := range goldenTables() {
		for _, f := range Formats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, f, tab); err != nil {
					t.Fatal(err)
				}
				checkParses(t, f, buf.Bytes())
				path := filepath.Join("testdata", name+"."+goldenExt[f]+".golden")
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./reports -update to create it)", err)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s differs from the golden file (run go test ./reports -update and review the diff)\ngot:\n%s\nwant:\n%s", path, buf.Bytes(), want)
				}
			})
		}
	}
}

// repeated returns r as repetition rep.
func repeated(r models.Record, rep int) models.Record {
	r.Repetition = rep
	return r
}

// checkParses checks that CSV and JSON output reads back with one field per key.
func checkParses(t *testing.T, f Format, out []byte) {
	t.Helper()
	switch f {
	case FormatCSV:
		recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("csv does not parse: %v", err)
		}
		if len(recs) == 0 {
			t.Fatal("csv has no header")
		}
	case FormatJSON:
		var rows []map[string]any
		if err := json.Unmarshal(out, &rows); err != nil {
			t.Fatalf("json does not parse: %v", err)
		}
	}
}
