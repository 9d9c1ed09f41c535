package plot

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// splitDowntime is the fixture's downtime: cold sends the memory over the
// link, pre-copy a slice of it that grows with the dirty rate.
func splitDowntime(tech string, mem, rate, bw float64) float64 {
	if tech == models.Cold {
		return mem / bw
	}
	return 0.01 * (1 + 10*rate/bw) * mem / gib
}

// twoBandwidths is a simulated sweep of cold and pre-copy over two
// bandwidths (100 MB/s and 1 GB/s), three dirty rates and two memory sizes,
// three repetitions each: what a sweep file's grid makes.
func twoBandwidths() []models.Record {
	var out []models.Record
	for _, bw := range []float64{100 * mbs, 1000 * mbs} {
		for _, rate := range []float64{5, 20, 50} {
			for _, mem := range []float64{512 * mib, gib} {
				for _, t := range []string{models.Cold, models.PreCopy} {
					for rep := range 3 {
						r := sampleRecord("grid", "", t, models.BackendSim, rep, rate*mbs, splitDowntime(t, mem, rate*mbs, bw), 1, 1)
						r.Params.Network.Bandwidth = models.Rate(bw)
						r.Params.Memory.Size = models.ByteSize(mem)
						out = append(out, r)
					}
				}
			}
		}
	}
	return out
}

// series returns a figure's series by name, nil if none.
func series(f *Figure, name string) *Series {
	for i := range f.Series {
		if f.Series[i].Name == name {
			return &f.Series[i]
		}
	}
	return nil
}

func TestSeriesByParameter(t *testing.T) {
	recs := twoBandwidths()
	pooled, err := DowntimeVsDirtyRate(recs, By{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pooled.Series) != 2 || !slices.Contains(pooled.Notes, "Medians pool several memory sizes and bandwidths.") {
		t.Errorf("unsplit: series %d (want 2: one line per technique), notes %q", len(pooled.Series), pooled.Notes)
	}
	for _, name := range []string{"network.bandwidth", "network.bandwidth_bytes_per_s", " network.bandwidth ", "bandwidth"} {
		by, err := ParseBy(recs, name)
		if err != nil || by.Key != "network.bandwidth_bytes_per_s" || by.Name != "network.bandwidth" {
			t.Fatalf("ParseBy(%q) = %+v, %v", name, by, err)
		}
	}
	by, _ := ParseBy(recs, "network.bandwidth")
	f, err := DowntimeVsDirtyRate(recs, by)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Series) != 4 {
		t.Errorf("%d series, want 4 (2 techniques x 2 bandwidths)", len(f.Series))
	}
	for _, c := range []struct {
		name  string
		tech  string
		bw    float64
		shape Shape
	}{
		{"cold sim, network.bandwidth = 100 MB/s", models.Cold, 100 * mbs, ShapeSquare},
		{"precopy sim, network.bandwidth = 1 GB/s", models.PreCopy, 1000 * mbs, ShapeTriangle},
	} {
		s := series(f, c.name)
		if s == nil || len(s.Points) != 3 || s.Shape != c.shape {
			t.Fatalf("series %q: %+v, want 3 medians drawn with shape %d", c.name, s, c.shape)
		}
		for i, rate := range []float64{5, 20, 50} {
			// median of 512 MiB x 3 and 1 GiB x 3: the mean of the two
			want := (splitDowntime(c.tech, 512*mib, rate*mbs, c.bw) + splitDowntime(c.tech, gib, rate*mbs, c.bw)) / 2
			if p := s.Points[i]; p.X != rate*mbs || math.Abs(p.Y-want) > 1e-12 {
				t.Errorf("%s point %d = (%g, %g), want (%g, %g)", c.name, i, p.X, p.Y, rate*mbs, want)
			}
		}
	}
	links, err := LinkRatePlots(recs, by) // against bandwidth: not split by it
	if err != nil || len(links) != 2 || len(links[0].Figure.Series) != 2 {
		t.Errorf("link rate plots split by their own x: %d figures, %v", len(links), err)
	}
	var legend []string
	for _, it := range f.Legend {
		legend = append(legend, it.Label)
	}
	if got := strings.Join(legend, "|"); !strings.HasSuffix(got, "|network.bandwidth|100 MB/s|1 GB/s") {
		t.Errorf("legend %q does not end with the bandwidths", got)
	}

	if b, err := ParseBy(recs, "size"); err != nil || b.Name != "memory.size" || b.Unit != reports.UnitBytes {
		t.Errorf("size: %+v, %v; want memory.size in bytes (page_size is not a .size)", b, err)
	}
	if _, err := ParseBy(recs, "network.bw"); err == nil || !strings.Contains(err.Error(), "differ between them: memory.size, network.bandwidth, workload.dirty_rate") {
		t.Errorf("unknown parameter: error %v, want one listing the parameters that differ", err)
	}
}

func TestDowntimeVsMemory(t *testing.T) {
	recs := twoBandwidths()
	by, _ := ParseBy(recs, "network.bandwidth")
	f, err := DowntimeVsMemory(recs, by)
	if err != nil {
		t.Fatal(err)
	}
	if f.X.Unit != reports.UnitBytes || f.X.Label != "Memory size" {
		t.Errorf("x axis %+v", f.X)
	}
	s := series(f, "cold sim, network.bandwidth = 1 GB/s")
	if s == nil || len(s.Points) != 2 {
		t.Fatalf("cold at 1 GB/s: %+v, want two memory sizes", s)
	}
	for i, mem := range []float64{512 * mib, gib} {
		if p := s.Points[i]; p.X != mem || math.Abs(p.Y-mem/(1000*mbs)) > 1e-12 {
			t.Errorf("point %d = (%g, %g), want (%g, %g)", i, p.X, p.Y, mem, mem/(1000*mbs))
		}
	}
	if !slices.Equal(f.Notes, []string{"Medians pool several dirty rates."}) {
		t.Errorf("notes %q do not say the dirty rates are pooled", f.Notes)
	}
	// One memory size: not a memory study, and WriteAll says nothing of it.
	_, err = DowntimeVsMemory(sampleRecords(), By{})
	if !errors.Is(err, errOneX) || !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "one memory size") {
		t.Errorf("one memory size: error %v", err)
	}
}

// TestJSONPath: reading one parameter by reflection gives what the record's
// JSON holds, for every parameter it holds.
func TestJSONPath(t *testing.T) {
	r := twoBandwidths()[5]
	r.Params.Network.Latency = models.Duration(3e6)
	r.Params.Techniques = []string{"cold", "precopy"}
	n := 0
	for k, want := range flatParams(r.Params) {
		got, ok := jsonPath(reflect.ValueOf(r.Params), strings.Split(k, "."))
		if !ok || got != want {
			t.Errorf("%s: %q (%v), want %q", k, got, ok, want)
		}
		n++
	}
	if v := (By{Key: "network.latency_s"}).of(r); v != (value{num: 0.003}) || n < 10 {
		t.Errorf("latency %+v, %d parameters", v, n)
	}
}
