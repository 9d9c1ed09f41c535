// Command carrymarks rewrites records (JSON Lines, standard input to
// standard output) with every scenario's memory.marks as the current
// profile fit carries them on (models.Memory.CarriedMarks): to replay a run
// profiled before the fit carried marks (scripts/analysis/replay.sh) with
// the marks the profile would give now.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/migrlab/migrlab/models"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "carrymarks:", err)
		os.Exit(1)
	}
}

func run() error {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	changed := 0
	for in.Scan() {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(in.Bytes(), &rec); err != nil {
			return err
		}
		if p, ok := rec["params"]; ok {
			var params map[string]json.RawMessage
			if err := json.Unmarshal(p, &params); err != nil {
				return err
			}
			if raw, ok := params["memory"]; ok {
				var m models.Memory
				if err := json.Unmarshal(raw, &m); err != nil {
					return err
				}
				if ks := m.CarriedMarks(); len(ks) != len(m.Marks) {
					m.Marks = ks
					changed++
					var err error
					if params["memory"], err = json.Marshal(m); err != nil {
						return err
					}
					if rec["params"], err = json.Marshal(params); err != nil {
						return err
					}
				}
			}
		}
		line, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		out.Write(append(line, '\n'))
	}
	fmt.Fprintf(os.Stderr, "carrymarks: %d records' marks carried on\n", changed)
	return in.Err()
}
