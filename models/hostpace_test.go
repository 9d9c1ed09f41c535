package models

import (
	"math"
	"testing"
)

// TestHostPaceDeviationScalesEachPhaseByItsHost: the dump and the live
// rounds follow the source's pace, the restore the target's, the transfer
// both, each raised to its elasticity; without both paces, nothing.
func TestHostPaceDeviationScalesEachPhaseByItsHost(t *testing.T) {
	p := HostPace{Source: 0.1, Target: 0.2, FinalDump: 1, FinalTransfer: 0.5, Restore: 0.5, LiveRounds: 1}
	d, ok := p.Deviation(map[string]float64{ExtraSourcePace: 0.2, ExtraTargetPace: 0.2})
	if !ok {
		t.Fatal("no deviation with both paces")
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"final dump", d.FinalDump, 2}, {"live rounds", d.LiveRounds, 2}, {"restore", d.Restore, 1}, {"transfer", d.FinalTransfer, math.Pow(2, 0.25)}} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s factor %g, want %g", c.name, c.got, c.want)
		}
	}
	if _, ok := p.Deviation(map[string]float64{ExtraSourcePace: 0.2}); ok {
		t.Error("a deviation without the target's pace")
	}
}

// TestAtHostPaceSlowsTheCosts: a calibration with a pace model, at a source
// twice as slow as its median, has its final dump's costs doubled and its
// restore's alone; one without a model is unchanged.
func TestAtHostPaceSlowsTheCosts(t *testing.T) {
	c := Calibration{Costs: Costs{FinalSetup: Duration(Seconds(1)), RestoreBase: Duration(Seconds(2))}, Network: Network{Bandwidth: 1e6}}
	x := map[string]float64{ExtraSourcePace: 0.2, ExtraTargetPace: 0.1}
	if got := c.AtHostPace(x); got.Costs != c.Costs {
		t.Errorf("no model: costs %+v, want %+v", got.Costs, c.Costs)
	}
	c.HostPace = &HostPace{Source: 0.1, Target: 0.1, FinalDump: 1, Restore: 1}
	got := c.AtHostPace(x)
	if got.Costs.FinalSetup != Duration(Seconds(2)) || got.Costs.RestoreBase != Duration(Seconds(2)) || got.Network.Bandwidth != 1e6 {
		t.Errorf("at twice the source's pace: costs %+v, bandwidth %v", got.Costs, got.Network.Bandwidth)
	}
}

// TestHostPaceValidateRefusesNonsense: a negative pace or an elasticity
// beyond MaxElasticity is refused, naming the field.
func TestHostPaceValidateRefusesNonsense(t *testing.T) {
	ok := HostPace{Source: 0.1, Target: 0.1, FinalDump: 0.7}
	if err := ok.Validate(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	for _, p := range []HostPace{{Source: -1, Target: 0.1}, {Source: 0.1, Target: 0.1, Restore: 2}, {Source: 0.1, Target: 0.1, FinalDump: math.NaN()}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

// TestMigrationPacesTakeTheSpan: a host timed before and after a migration
// ran at the geometric mean of the two over it; one timed before only, at
// that; a pace after without one before is none.
func TestMigrationPacesTakeTheSpan(t *testing.T) {
	src, dst, ok := MigrationPaces(map[string]float64{ExtraSourcePace: 0.05, ExtraSourcePaceAfter: 0.2, ExtraTargetPace: 0.06})
	if !ok || math.Abs(src-0.1) > 1e-12 || dst != 0.06 {
		t.Errorf("paces %g / %g (ok %v), want 0.1 (before 0.05, after 0.2) / 0.06 (before only)", src, dst, ok)
	}
	if _, _, ok := MigrationPaces(map[string]float64{ExtraSourcePaceAfter: 0.2, ExtraTargetPace: 0.06, ExtraTargetPaceAfter: 0.06}); ok {
		t.Error("paces without the source's before the migration")
	}
	p := HostPace{Source: 0.1, Target: 0.1, FinalDump: 1}
	if d, ok := p.Deviation(map[string]float64{ExtraSourcePace: 0.1, ExtraSourcePaceAfter: 0.4, ExtraTargetPace: 0.1}); !ok || math.Abs(d.FinalDump-2) > 1e-9 {
		t.Errorf("final dump factor %g (ok %v), want 2: the source ran at 0.2 s over the migration", d.FinalDump, ok)
	}
}
