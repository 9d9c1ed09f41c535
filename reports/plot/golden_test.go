package plot

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// TestGoldenSVG pins the SVG (gonum's vgsvg) of standard plots of the sample
// records: any change to our layout or to gonum's output shows here.
func TestGoldenSVG(t *testing.T) {
	figs := standardFigures(t, sampleRecords())
	for _, name := range []string{"downtime_pred_vs_meas", "downtime_vs_dirty_rate", "downtime_cdf"} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := figs[name].Write(&b, FormatSVG); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".svg.golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from %s; if the change is intended, run go test ./reports/plot/ -update and look at the result", name, path)
			}
		})
	}
}
