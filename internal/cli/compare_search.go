package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/migrlab/migrlab/fidelity"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/reports"
	"github.com/urfave/cli/v2"
)

// compareSearch is `migrlab compare --search N`: the divergence search
// (fidelity.Search) ranks sampled scenarios under the calibration; with
// --dry-run the top N are printed and written to --out/candidates/, else
// they are migrated for real through fidelity.Comparison and their
// validation pairs printed worst-predicted first after the brief.
func compareSearch(c *cli.Context, calib models.Calibration) error {
	n, k := c.Int("search"), c.Int("candidates")
	switch {
	case n < 1:
		return usagef("compare --search %d: want the number of top candidates to run, at least 1 (for example --search 5)", n)
	case c.NArg() > 0:
		return usagef("compare --search: the scenarios are sampled, not read; drop the scenario files %q (or drop --search to compare them)", c.Args().Slice())
	case c.String("replay") != "":
		return usagef("compare: --search and --replay exclude each other; give one")
	case k < n || k > fidelity.MaxSearchCandidates:
		return usagef("compare --candidates %d: want %d (the --search count) to %d", k, n, fidelity.MaxSearchCandidates)
	case !c.Bool("dry-run") && c.String("testbed") == "":
		return usagef("compare --search: give --testbed NAME to run the top %d for real, or --dry-run to only rank the candidates", n)
	}
	format, err := reports.ParseFormat(c.String("format"))
	if err != nil {
		return UsageError{err}
	}
	opt := fidelity.SearchOptions{Candidates: k, Seed: c.Uint64("seed")}
	if t := c.String("techniques"); t != "" {
		opt.Techniques = strings.Split(t, ",")
	}
	if err := opt.Validate(); err != nil {
		return UsageError{err}
	}
	progress := c.App.ErrWriter
	sp := fidelity.SpaceFor(calib)
	ds, fromSpread := fidelity.SearchDeviations(calib)
	noise := fmt.Sprintf("the calibration's spread (%d deviations)", len(ds))
	if !fromSpread {
		noise = fmt.Sprintf("%d draws, each phase 10 %% faster or slower (the calibration has no spread)", len(ds))
	}
	fmt.Fprintf(progress, "search: %d candidates (seed %d), memory %s to %s, noise from %s\n", k, opt.Seed, sp.Memory[0], sp.Memory[1], noise)
	start := time.Now()
	cands, err := fidelity.Search(c.Context, calib, opt)
	if err != nil {
		return interrupted(c.Context, err)
	}
	fmt.Fprintf(progress, "search: ranked in %s\n", time.Since(start).Round(time.Millisecond))
	top := make([]models.Scenario, n)
	scores := map[string]float64{}
	for i, cand := range cands[:n] {
		top[i] = cand.Scenario
		if err := overrideScenario(&top[i], "", c.Int("reps")); err != nil {
			return usagef("compare --reps: %v", err)
		}
		cands[i].Scenario = top[i]
		scores[cand.Scenario.Name] = cand.Score
	}
	dir := filepath.Join(c.String("out"), "candidates")
	if _, err := fidelity.WriteCandidates(dir, cands, n); err != nil {
		return fmt.Errorf("candidates: %w", err)
	}
	if c.Bool("dry-run") {
		if err := reports.Render(c.App.Writer, format, fidelity.CandidatesTable(cands, n)); err != nil {
			return err
		}
		var est time.Duration
		for _, s := range top {
			est += models.EstimateRealTime(s, c.Duration("warmup"))
		}
		fmt.Fprintf(progress, "wrote the top %d as scenario files and every candidate's score to %s/ (%s); migrating them would take about %s on the local TCG testbed:\n"+
			"  migrlab compare --testbed NAME --calibration %s %s/%s*.yaml\n",
			n, dir, fidelity.CandidatesFile, models.FormatEstimate(est), c.String("calibration"), dir, fidelity.SearchScenarioPrefix)
		return nil
	}
	for _, cand := range cands[:n] {
		fmt.Fprintf(progress, "search: %d. %s, score %.3f: %s\n", cand.Rank, cand.Scenario.Name, cand.Score, cand.Reason())
	}
	if err := checkRealTime(c, top); err != nil {
		return err
	}
	ctx := c.Context
	tb, err := openTestbed(ctx, c)
	if err != nil {
		return err
	}
	defer tb.Close()
	if calib.Testbed != tb.Name {
		fmt.Fprintf(progress, "warning: the calibration was made on testbed %q, comparing on %q\n", calib.Testbed, tb.Name)
	}
	recs, err := fidelity.Comparison{
		Runner: newRealRunner(tb.Testbed, c), Calibration: calib, Scenarios: top, Dir: c.String("out"),
		Title:   fmt.Sprintf("migrlab compare --search %d on testbed %s", n, tb.Name),
		Command: commandLine(c), Versions: fidelity.Versions(tb.hosts), Analytic: !c.Bool("no-analytic"),
		Progress: progress, Format: format, Stdout: c.App.Writer,
	}.Run(ctx)
	if len(recs) > 0 {
		if rerr := reports.Render(c.App.Writer, format, reports.WorstFirst(recs, 0, scores)); rerr != nil && err == nil {
			err = rerr
		}
	}
	return interrupted(ctx, err)
}
