package plot

import (
	"fmt"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
)

// DirtyingCurve draws a profile (`migrlab profile`): the distinct bytes the
// container dirtied within each window, every pass as a hollow marker, their
// median as a filled one, and the fitted memory model's curve as a line;
// both axes logarithmic. The resident memory is the dashed ceiling.
func DirtyingCurve(p models.DirtyingProfile) (*Figure, error) {
	if len(p.Curve) == 0 {
		return nil, fmt.Errorf("dirtying curve: the profile has no curve: %w", ErrNoData)
	}
	passes := Series{Name: "passes", Kind: KindPoints, Color: ColorSkyBlue, Shape: ShapeCircle}
	for _, ps := range p.Passes {
		for j := range ps.Bytes {
			if ps.Bytes[j] > 0 {
				passes.Points = append(passes.Points, Point{X: ps.WindowsS[j], Y: float64(ps.Bytes[j]), Hollow: true})
			}
		}
	}
	median := Series{Name: "median", Kind: KindPoints, Color: ColorBlue, Shape: ShapeCircle}
	fitted := Series{Name: "fitted", Kind: KindLine, Color: ColorVermilion, Shape: ShapeNone, Dashed: true}
	model := Series{Name: "model", Kind: KindLine, Color: ColorGreen, Shape: ShapeNone}
	for _, c := range p.Curve {
		if c.Model > 0 {
			model.Points = append(model.Points, Point{X: c.WindowS, Y: float64(c.Model)})
		}
		if c.Bytes > 0 {
			median.Points = append(median.Points, Point{X: c.WindowS, Y: float64(c.Bytes)})
		}
		if c.Fitted > 0 {
			fitted.Points = append(fitted.Points, Point{X: c.WindowS, Y: float64(c.Fitted)})
		}
	}
	if len(median.Points) == 0 {
		return nil, fmt.Errorf("dirtying curve: no window saw a dirty page (an idle container, or a kernel without soft-dirty tracking): %w", ErrNoData)
	}
	first, last := p.Curve[0].WindowS, p.Curve[len(p.Curve)-1].WindowS
	resident := Series{Name: "resident", Kind: KindReference, Points: []Point{{X: first, Y: float64(p.Resident)}, {X: last, Y: float64(p.Resident)}}}
	series := []Series{resident, passes, median, fitted}
	legend := []LegendItem{
		{Label: "each pass", Color: ColorSkyBlue, Shape: ShapeCircle, Hollow: true},
		{Label: "median", Color: ColorBlue, Shape: ShapeCircle},
		{Label: "fitted model", Color: ColorVermilion, Shape: ShapeNone, Line: true, Dashed: true},
		{Label: "resident memory", Color: colorRef, Shape: ShapeNone, Line: true, Dashed: true},
	}
	if len(model.Points) > 0 {
		series = append(series, model)
		legend = append(legend, LegendItem{Label: "scenario's model", Color: ColorGreen, Shape: ShapeNone, Line: true})
	}
	f := &Figure{
		Title:  "Memory dirtied within a window: " + p.Scenario,
		X:      axisOver(series, func(q Point) float64 { return q.X }, true, reports.UnitSeconds, "Window"),
		Y:      axisOver(series, func(q Point) float64 { return q.Y }, true, reports.UnitBytes, "Distinct bytes dirtied"),
		Series: series,
		Legend: legend,
		Notes:  []string{fmt.Sprintf("%d passes on %s; fit within %.0f %%.", len(p.Passes), p.Host, 100*p.Fit.MaxError)},
	}
	return f, nil
}
