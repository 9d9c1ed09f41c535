package reports

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func seq(a, b float64) []float64 {
	var out []float64
	for x := a; x <= b; x++ {
		out = append(out, x)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestMedianCI(t *testing.T) {
	tests := []struct {
		name           string
		xs             []float64
		center, lo, hi float64
		coverage       float64
		rangeOnly      bool
	}{
		{"one", []float64{5}, 5, 5, 5, 0, true},
		{"three unsorted", []float64{3, 1, 2}, 2, 1, 3, 0.75, true},
		{"five: range covers 93.75%", []float64{5, 4, 3, 2, 1}, 3, 1, 5, 0.9375, true},
		{"six: min to max is a 95% CI", []float64{6, 1, 5, 2, 4, 3}, 3.5, 1, 6, 1 - 2.0/64, false},
		{"ten: x(2) to x(9)", seq(1, 10), 5.5, 2, 9, 1 - 2*11.0/1024, false},
		{"twenty: x(6) to x(15)", seq(1, 20), 10.5, 6, 15, 1 - 2*21700.0/1048576, false},
		{"NaN ignored", []float64{math.NaN(), 2, 1, 3}, 2, 1, 3, 0.75, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := MedianCI(tt.xs, Confidence)
			if !near(e.Center, tt.center) || !near(e.Lo, tt.lo) || !near(e.Hi, tt.hi) || !near(e.Coverage, tt.coverage) || e.Range != tt.rangeOnly {
				t.Errorf("MedianCI(%v) = %+v, want center %g [%g, %g] coverage %g range %v", tt.xs, e, tt.center, tt.lo, tt.hi, tt.coverage, tt.rangeOnly)
			}
		})
	}
}

func TestMedianCIEdges(t *testing.T) {
	if e := MedianCI(nil, Confidence); e.N != 0 || !math.IsNaN(e.Center) {
		t.Errorf("MedianCI(nil) = %+v, want N 0 and NaN", e)
	}
	xs := []float64{3, 1, 2}
	MedianCI(xs, Confidence)
	if !reflect.DeepEqual(xs, []float64{3, 1, 2}) {
		t.Errorf("MedianCI modified its input: %v", xs)
	}
	// Large n: log-space binomial terms must not underflow to a useless interval.
	big := seq(1, 5000)
	e := MedianCI(big, Confidence)
	if e.Range || e.Coverage < Confidence || !(e.Lo < e.Center && e.Center < e.Hi) || e.Hi-e.Lo > 200 {
		t.Errorf("MedianCI(1..5000) = %+v, want a narrow 95%% CI around 2500.5", e)
	}
}

func TestMeanCI(t *testing.T) {
	small := MeanCI([]float64{1, 2, 4}, Confidence)
	if !small.Range || small.Lo != 1 || small.Hi != 4 || !near(small.Center, 7.0/3) {
		t.Errorf("MeanCI of 3 samples = %+v, want the range [1, 4] around 7/3", small)
	}
	xs := []float64{0.1, 0.12, 0.08, 0.15, 0.09, 0.11, 0.13, 0.1}
	a, b := MeanCI(xs, Confidence), MeanCI(xs, Confidence)
	if a != b {
		t.Errorf("MeanCI is not deterministic: %+v then %+v", a, b)
	}
	if a.Range || !(a.Lo < a.Center && a.Center < a.Hi) || a.Lo < 0.08 || a.Hi > 0.15 {
		t.Errorf("MeanCI(%v) = %+v, want a bootstrap CI inside the sample range around the mean", xs, a)
	}
	c := MeanCI([]float64{2, 2, 2, 2, 2, 2}, Confidence)
	if c.Lo != 2 || c.Hi != 2 || c.Center != 2 {
		t.Errorf("MeanCI of a constant = %+v, want 2 [2, 2]", c)
	}
}

func TestAPEs(t *testing.T) {
	tests := []struct {
		name       string
		pred, meas []float64
		mape       float64
		n, skipped int
	}{
		{"9,11 vs 10,10 is 10%", []float64{9, 11}, []float64{10, 10}, 0.10, 2, 0},
		{"over and under", []float64{12, 5}, []float64{10, 10}, 0.35, 2, 0},
		{"zero measured is skipped", []float64{1, 9}, []float64{0, 10}, 0.10, 1, 1},
		{"negative measured uses its magnitude", []float64{-9}, []float64{-10}, 0.10, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, skipped := apes(tt.pred, tt.meas)
			if len(a) != tt.n || skipped != tt.skipped || !near(mean(a), tt.mape) {
				t.Errorf("apes = %v (skipped %d), MAPE %g; want n %d, skipped %d, MAPE %g", a, skipped, mean(a), tt.n, tt.skipped, tt.mape)
			}
		})
	}
}

func TestHumanFormatting(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		cell Cell
		want string
	}{
		{Number(0.0125, UnitSeconds), "12.5 ms"},
		{Number(1.25, UnitSeconds), "1.25 s"},
		{Number(125, UnitSeconds), "125 s"},
		{Number(0.000002, UnitSeconds), "2.00 µs"},
		{Number(1.5e-9, UnitSeconds), "1.50 ns"},
		{Number(0, UnitSeconds), "0 s"},
		{Number(1.25*gib, UnitBytes), "1.25 GiB"},
		{Number(512, UnitBytes), "512 B"},
		{Number(1024, UnitBytes), "1.00 KiB"},
		{Number(0, UnitBytes), "0 B"},
		{Number(118.2e6, UnitBytesPerSecond), "118 MB/s"},
		{Number(0.1, UnitFraction), "10.0%"},
		{Number(0.0525, UnitFraction), "5.25%"},
		{Number(1, UnitFraction), "100%"},
		{Number(3, UnitCount), "3"},
		{Number(2.5, UnitCount), "2.5"},
		{Number(0.25, UnitNone), "0.25"},
		{Signed(0.0035, UnitSeconds), "+3.50 ms"},
		{Signed(-0.0035, UnitSeconds), "-3.50 ms"},
		{Signed(0, UnitFraction), "0%"},
		{EstimateCell(Estimate{Center: 0.00098, Lo: 0.00095, Hi: 0.0012, N: 8}, UnitSeconds), "0.980 ms [0.950, 1.20]"},
		{EstimateCell(Estimate{Center: 0.0021, Lo: 0.0009, Hi: 0.0042, N: 3, Range: true}, UnitSeconds), "2.10 ms [0.900, 4.20]†"},
		{EstimateCell(Estimate{Center: 2, Lo: 2, Hi: 2, N: 1, Range: true}, UnitCount), "2"},
		{Number(math.NaN(), UnitSeconds), "–"},
		{EstimateCell(Estimate{}, UnitSeconds), "–"},
		{Bool(true), "yes"},
	}
	for _, tt := range tests {
		if got := humanCell(tt.cell); got != tt.want {
			t.Errorf("humanCell(%+v) = %q, want %q", tt.cell, got, tt.want)
		}
	}
}

func TestDataNumber(t *testing.T) {
	for v, want := range map[float64]string{
		1342177280: "1342177280", 0.0125: "0.0125", 0: "0", 3.2e-6: "0.0000032", 1e-7: "1e-07", -2.5: "-2.5",
	} {
		if got := dataNumber(v); got != want {
			t.Errorf("dataNumber(%g) = %q, want %q", v, got, want)
		}
	}
}

func TestKeyWith(t *testing.T) {
	for _, tt := range [][3]string{
		{"downtime_s", "lo", "downtime_lo_s"},
		{"bytes_sent", "hi", "bytes_sent_hi"},
		{"bandwidth_bytes_per_s", "lo", "bandwidth_lo_bytes_per_s"},
		{"mape", "lo", "mape_lo"},
	} {
		if got := keyWith(tt[0], tt[1]); got != tt[2] {
			t.Errorf("keyWith(%q, %q) = %q, want %q", tt[0], tt[1], got, tt[2])
		}
	}
}

func TestLaTeXEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"web_1g", `web\_1g`},
		{"100%", `100\%`},
		{"a & b", `a \& b`},
		{"#1", `\#1`},
		{"$5", `\$5`},
		{"{x}", `\{x\}`},
		{`a\b`, `a\textbackslash{}b`},
		{"~^", `\textasciitilde{}\textasciicircum{}`},
		{"|x| < y > z", `\textbar{}x\textbar{} \textless{} y \textgreater{} z`},
		{"n†", `n$^\dagger$`},
	}
	for _, tt := range tests {
		if got := LaTeXEscape(tt.in); got != tt.want {
			t.Errorf("LaTeXEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"table": FormatTable, "Markdown": FormatMarkdown, "md": FormatMarkdown, " csv ": FormatCSV,
		"json": FormatJSON, "latex": FormatLaTeX, "tex": FormatLaTeX,
	} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	var f Format
	if err := f.Set("md"); err != nil || f.String() != "markdown" {
		t.Errorf("Format.Set(md) = %q, %v", f, err)
	}
	_, err := ParseFormat("html")
	if err == nil || !strings.Contains(err.Error(), `"html"`) || !strings.Contains(err.Error(), "table, markdown, csv, json, latex") {
		t.Errorf("ParseFormat(html) error = %v, want it to name html and list the valid formats", err)
	}
}

func TestRenderErrors(t *testing.T) {
	bad := Table{Title: "bad", Columns: []Column{{Key: "a"}, {Key: "b"}}, Rows: [][]Cell{{Text("x")}}}
	if err := Render(&strings.Builder{}, FormatCSV, bad); err == nil {
		t.Error("Render accepted a row with too few cells")
	}
	if err := Render(&strings.Builder{}, Format("xml"), Table{}); err == nil || !strings.Contains(err.Error(), "valid:") {
		t.Errorf("Render with an unknown format: error %v, want the list of valid formats", err)
	}
	var b strings.Builder
	if err := Render(&b, FormatJSON, Table{Columns: []Column{{Key: "a"}}}); err != nil || b.String() != "[]\n" {
		t.Errorf("empty JSON table = %q, %v; want []", b.String(), err)
	}
}
