// Command refitapps rewrites records (JSON Lines, standard input to standard
// output) with each app scenario's workload as the current profile fit makes
// it from the profiles named as arguments (NAME.profile.json of a run's
// profiles/): to replay a run (scripts/analysis/replay.sh) with what a
// change to the profile's fit would have predicted. A profile keeps only its
// median resident memory, which stands for every pass's here.
//
//	refitapps out/holdout/profiles/*.profile.json < records.jsonl > refit.jsonl
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/scripts/analysis/internal/rewrite"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "refitapps:", err)
		os.Exit(1)
	}
}

func run(profiles []string) error {
	fits := map[string]json.RawMessage{}
	for _, f := range profiles {
		var p models.DirtyingProfile
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		resident := make([]int64, len(p.Passes))
		for i := range resident {
			resident[i] = int64(p.Resident)
		}
		q, err := models.NewDirtyingProfile(p.Passes, resident, p.PageSize)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		q.SetStart(p.ResidentStart, resident)
		q.SetCheckTouch(p.CheckTouch)
		if fits[p.Scenario], err = json.Marshal(q.Fit.Workload); err != nil {
			return err
		}
	}
	n, err := rewrite.Records(os.Stdin, os.Stdout, func(r rewrite.Record) (bool, error) {
		var name string
		if err := json.Unmarshal(r["scenario"], &name); err != nil {
			return false, err
		}
		// An app's probes are named NAME-probe (fidelity.ProbeSuffix).
		w, ok := fits[strings.TrimSuffix(name, "-probe")]
		if !ok {
			return false, nil
		}
		var old json.RawMessage
		if has, err := r.Param("workload", &old); !has || err != nil {
			return false, err
		}
		return true, r.SetParam("workload", w)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "refitapps: %d records' workloads refitted\n", n)
	return nil
}
