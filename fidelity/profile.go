package fidelity

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/reports/plot"
)

// ProfileApps profiles each app scenario on the testbed (real.Profile) and
// returns the scenarios with an app's memory and workload replaced by its
// profile's fit (Profiled), the others unchanged: what the simulator then
// predicts the app's migrations from, and the conditions each profile ran
// under. Each profile is written to dir (WriteProfile) and summarised on
// progress.
func ProfileApps(ctx context.Context, tb *real.Testbed, scenarios []models.Scenario, dir string, opt real.ProfileOptions, progress io.Writer) ([]models.Scenario, ProfileConditions, error) {
	out := make([]models.Scenario, len(scenarios))
	conds := ProfileConditions{}
	for i, s := range scenarios {
		out[i] = s
		if !s.App.Enabled() {
			continue
		}
		fmt.Fprintf(orDiscard(progress), "profiling %s (%s) on the testbed: how it dirties memory under its load\n", s.Name, s.App.Image)
		p, err := real.Profile(ctx, tb, s, opt)
		if err != nil {
			return nil, nil, fmt.Errorf("profile of %s: %w", s.Name, err)
		}
		paths, err := WriteProfile(dir, s.Name, p)
		if err != nil {
			return nil, nil, err
		}
		out[i], conds[s.Name] = Profiled(s, p), p.Conditions
		w := out[i].Workload
		size := fmt.Sprintf("%s resident (%s after the %s warmup)", p.Resident, p.ResidentStart, p.Warmup)
		if out[i].Memory.Growing() {
			size = fmt.Sprintf("%s resident after the %s warmup, growing to %s (simulated as measured)", p.ResidentStart, p.Warmup, out[i].Memory.Final())
		}
		fmt.Fprintf(orDiscard(progress), "%s: %s; fitted wws %s, dirty_rate %s, %s dirty in any window (within %.0f %% of the curve); %s\n",
			s.Name, size, w.WWS, w.DirtyRate, w.Runtime.Hot, 100*p.Fit.MaxError, paths[0])
	}
	return out, conds, nil
}

// ProfileConditions are the CPU conditions each app's profile ran under, by
// scenario name (models.DirtyingProfile.Conditions).
type ProfileConditions map[string]map[string]float64

// Warnings says, for each profile that ran outside envelope e (a
// calibration's run guard: models.Envelope.CheckConditions), why, what it
// does to the predictions and what to do, in the order of the names.
func (pc ProfileConditions) Warnings(e models.Envelope) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(pc)) {
		if why := e.CheckConditions(pc[name]); len(why) > 0 {
			out = append(out, fmt.Sprintf("the profile of %s ran outside the calibration's conditions (%s): its load may have "+
				"written slower than beside its migrations, and its predictions follow its profile; profile it again with the "+
				"machine otherwise idle", name, strings.Join(why, "; ")))
		}
	}
	return out
}

// Profiled is s with its memory and workload from profile p's fit.
func Profiled(s models.Scenario, p models.DirtyingProfile) models.Scenario {
	s.Memory, s.Workload = p.Fit.Memory, p.Fit.Workload
	return s
}

// WriteProfile writes profile p to dir as NAME.profile.json and
// NAME-dirtying.svg and returns their paths.
func WriteProfile(dir, name string, p models.DirtyingProfile) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var js, svg bytes.Buffer
	if err := models.WriteDirtyingProfile(&js, p); err != nil {
		return nil, err
	}
	fig, err := plot.DirtyingCurve(p)
	if err == nil {
		err = fig.WriteSVG(&svg)
	}
	if err != nil {
		return nil, fmt.Errorf("profile of %s: %w", name, err)
	}
	paths := []string{filepath.Join(dir, name+".profile.json"), filepath.Join(dir, name+"-dirtying.svg")}
	for i, b := range [][]byte{js.Bytes(), svg.Bytes()} {
		if err := os.WriteFile(paths[i], b, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// countApps counts the app scenarios.
func countApps(scenarios []models.Scenario) int {
	n := 0
	for _, s := range scenarios {
		if s.App.Enabled() {
			n++
		}
	}
	return n
}
