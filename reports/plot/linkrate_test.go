package plot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// linkGrid returns real records of a link grid (rates x latencies x cold and
// precopy) and their predictions, whose parameters hold the calibrated link
// (a slower rate, the testbed's latency added), as a comparison writes them.
func linkGrid(rates []models.Rate, lats []time.Duration) []models.Record {
	var recs []models.Record
	for _, lat := range lats {
		for _, rate := range rates {
			name := fmt.Sprintf("links/bandwidth=%s,latency=%s", rate, lat)
			asked := models.Network{Bandwidth: rate, Latency: models.Duration(lat)}
			applied := models.Network{Bandwidth: rate * 0.9, Latency: models.Duration(lat + 8*time.Millisecond)}
			for i, tech := range []string{"cold", "precopy"} {
				down := float64(8<<20)/float64(rate)/float64(i+1) + lat.Seconds()
				for _, b := range []struct {
					backend string
					n       models.Network
					d       float64
				}{{models.BackendReal, asked, down * 1.1}, {models.BackendSim, applied, down}} {
					recs = append(recs, models.Record{Scenario: name, Technique: tech, Backend: b.backend,
						Params:  models.Scenario{Name: name, Memory: models.Memory{Size: 8 << 20}, Network: b.n},
						Metrics: models.Metrics{DowntimeS: b.d, TotalTimeS: 2 * b.d}})
				}
			}
		}
	}
	return recs
}

func TestLinkRatePlots(t *testing.T) {
	rates := []models.Rate{256 << 10, 512 << 10, 1 << 20}
	figs, err := LinkRatePlots(linkGrid(rates, []time.Duration{5 * time.Millisecond, 50 * time.Millisecond}), By{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	want := "downtime_vs_link_rate_latency_5ms total_time_vs_link_rate_latency_5ms downtime_vs_link_rate_latency_50ms total_time_vs_link_rate_latency_50ms"
	if strings.Join(names, " ") != want {
		t.Fatalf("figures %q, want %q", names, want)
	}
	f := figs[2].Figure // downtime at 50 ms
	if f.Title != "Downtime vs link rate (latency 50ms)" || f.X.Label != "Link rate" {
		t.Errorf("title %q, x %q", f.Title, f.X.Label)
	}
	for _, s := range f.Series {
		if len(s.Points) != 3 {
			t.Errorf("%s: %d points, want one per rate", s.Name, len(s.Points))
		}
		for i, p := range s.Points {
			if s.Kind == KindLine && p.X != float64(rates[i]) {
				t.Errorf("%s: point %d at x %g, want the asked rate %g (not the calibrated link's)", s.Name, i, p.X, float64(rates[i]))
			}
			if s.Name == "cold sim" && p.Y != float64(8<<20)/float64(rates[i])+0.05 {
				t.Errorf("cold sim at %s: %g", rates[i], p.Y)
			}
		}
	}
	// Total time is twice the downtime in the fixture.
	if tt := figs[3].Figure; tt.Series[0].Points[0].Y != 2*f.Series[0].Points[0].Y {
		t.Errorf("total time %g, downtime %g", tt.Series[0].Points[0].Y, f.Series[0].Points[0].Y)
	}

	// One rate at a latency among others with several: that latency is
	// skipped and named, the others drawn.
	recs := append(linkGrid(rates, []time.Duration{5 * time.Millisecond}), linkGrid(rates[:1], []time.Duration{50 * time.Millisecond})...)
	figs, err = LinkRatePlots(recs, By{})
	if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "downtime vs link rate (latency 50ms)") || len(figs) != 2 {
		t.Errorf("%d figures, error %v; want the 5 ms pair and the 50 ms one skipped", len(figs), err)
	}
	// One link rate in all: not a link comparison, nothing and no error.
	if figs, err := LinkRatePlots(linkGrid(rates[:1], []time.Duration{0}), By{}); len(figs) != 0 || err != nil {
		t.Errorf("one rate: %d figures, %v", len(figs), err)
	}
	// WriteAll writes them beside the standard plots.
	dir := t.TempDir()
	if _, err := WriteAll(dir, linkGrid(rates, []time.Duration{50 * time.Millisecond})); err != nil && !errors.Is(err, ErrNoData) {
		t.Fatal(err)
	}
	for _, n := range []string{"downtime_vs_link_rate_latency_50ms.svg", "total_time_vs_link_rate_latency_50ms.png"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", n, err)
		}
	}
}
