// Command carrymarks rewrites records (JSON Lines, standard input to
// standard output) with every scenario's memory.marks as the current
// profile fit carries them on (models.Memory.CarriedMarks): to replay a run
// profiled before the fit carried marks (scripts/analysis/replay.sh) with
// the marks the profile would give now.
package main

import (
	"fmt"
	"os"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/scripts/analysis/internal/rewrite"
)

func main() {
	n, err := rewrite.Records(os.Stdin, os.Stdout, func(r rewrite.Record) (bool, error) {
		var m models.Memory
		if ok, err := r.Param("memory", &m); !ok || err != nil {
			return false, err
		}
		ks := m.CarriedMarks()
		if len(ks) == len(m.Marks) {
			return false, nil
		}
		m.Marks = ks
		return true, r.SetParam("memory", m)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "carrymarks:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "carrymarks: %d records' marks carried on\n", n)
}
