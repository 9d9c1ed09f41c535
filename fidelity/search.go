// Divergence search (Search): where is the model likely wrong?
//
// Search samples scenarios a real testbed can migrate in reasonable time,
// inside the calibrated envelope (SpaceFor), predicts each with the
// calibration applied and ranks them by how little the predictions can be
// trusted there: the simulator and the closed-form model disagree, or the
// scenario sits on a regime boundary (a stop rule switching, a round count
// changing) that the testbed's own noise crosses. `migrlab compare --search
// N` then migrates the top N for real and reports the worst-predicted first.

package fidelity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/sim"
)

// Defaults of a search.
const (
	// DefaultSearchCandidates is how many scenarios Search samples.
	DefaultSearchCandidates = 300
	// MaxSearchCandidates is the most candidates a search samples.
	MaxSearchCandidates = 100000
	// DefaultCandidateRealTime bounds one candidate's estimated real time
	// (models.EstimateRealTime, every technique): the largest scenarios of
	// the default space take about five minutes on the local TCG testbed.
	DefaultCandidateRealTime = 10 * time.Minute
	// SearchScenarioPrefix starts the names of the candidates' scenarios:
	// search-<seed>-<k>, k counting the draws from 1.
	SearchScenarioPrefix = "search-"
)

// SearchOptions configure Search.
type SearchOptions struct {
	// Candidates is how many scenarios to sample (default DefaultSearchCandidates).
	Candidates int
	// Seed seeds the sampler (a PCG): the same calibration, seed and options
	// give the same candidates in the same order.
	Seed uint64
	// Techniques of every candidate (default cold, precopy, migrror;
	// post-copy does not run on Podman hosts).
	Techniques []string
	// Space to sample (default SpaceFor(calibration)).
	Space *SearchSpace
	// MaxRealTime bounds each candidate's estimated real time (default
	// DefaultCandidateRealTime); a draw above it is drawn again.
	MaxRealTime time.Duration
}

// Validate checks the options a user gives: the number of candidates
// (0: the default) and techniques that run on Podman hosts.
func (o SearchOptions) Validate() error {
	if o.Candidates < 0 || o.Candidates > MaxSearchCandidates {
		return fmt.Errorf("search: candidates must be between 1 and %d, got %d", MaxSearchCandidates, o.Candidates)
	}
	seen := map[string]bool{}
	for _, t := range o.Techniques {
		tn, err := models.NewTechnique(t, models.Scenario{}.WithDefaults())
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if seen[tn.Name()] {
			return fmt.Errorf("search: %s is listed twice", tn.Name())
		}
		seen[tn.Name()] = true
		if tn.Name() == models.PostCopy {
			return fmt.Errorf("search: %s does not run on Podman hosts (CRIU restores whole images); choose among %s, %s, %s",
				t, models.Cold, models.PreCopy, models.MiGrror)
		}
	}
	return nil
}

func (o SearchOptions) candidates() int {
	if o.Candidates == 0 {
		return DefaultSearchCandidates
	}
	return o.Candidates
}

func (o SearchOptions) techniques() []string {
	if len(o.Techniques) == 0 {
		return []string{models.Cold, models.PreCopy, models.MiGrror}
	}
	return o.Techniques
}

// TechniqueScore is why a candidate ranks where it does for one technique.
type TechniqueScore struct {
	Technique string `json:"technique"`
	// Score is max(Disagreement, Flips + Width).
	Score float64 `json:"score"`
	// Predicted is the simulator's prediction with the calibration applied;
	// ClosedForm the closed-form model's, nil where it does not apply.
	Predicted  models.Metrics  `json:"predicted"`
	ClosedForm *models.Metrics `json:"closed_form,omitempty"`
	// Disagreement is the larger of the relative gaps |a-b|/max(a,b)
	// between the two predictions' downtime and bytes (0 to 1).
	Disagreement float64 `json:"disagreement"`
	// Flips is the share of Draws (the simulator run again under each
	// noise deviation of the prediction's kind, SearchDeviations and
	// sameKind, as its interval takes them) whose live rounds or stop reason
	// differ from Predicted's: near a regime boundary the testbed's noise
	// crosses it.
	Flips float64 `json:"flips"`
	Draws int     `json:"draws"`
	// Width is the DefaultConfidence interval of downtime over the draws,
	// relative to the predicted downtime.
	Width float64 `json:"width"`
}

// Candidate is one sampled scenario and its score: the largest of its
// techniques'.
type Candidate struct {
	// Rank counts from 1, the highest score first.
	Rank     int             `json:"rank"`
	Scenario models.Scenario `json:"scenario"`
	Score    float64         `json:"score"`
	// Techniques holds every technique's score parts, in the scenario's order.
	Techniques []TechniqueScore `json:"techniques"`
}

// Worst is the technique score that is the candidate's.
func (c Candidate) Worst() TechniqueScore {
	var w TechniqueScore
	for i, t := range c.Techniques {
		if i == 0 || t.Score > w.Score {
			w = t
		}
	}
	return w
}

// Reason says in words why the candidate scored as it did.
func (c Candidate) Reason() string {
	w := c.Worst()
	if w.ClosedForm != nil && w.Disagreement >= w.Flips+w.Width {
		return fmt.Sprintf("%s: simulator and closed form differ by %.0f %% (downtime %.2fs vs %.2fs, %s vs %s)", w.Technique,
			100*w.Disagreement, w.Predicted.DowntimeS, w.ClosedForm.DowntimeS,
			models.ByteSize(w.Predicted.BytesSent), models.ByteSize(w.ClosedForm.BytesSent))
	}
	return fmt.Sprintf("%s: %.0f %% of %d noise draws change the live rounds (%d) or stop reason (%s); downtime interval %.0f %% wide",
		w.Technique, 100*w.Flips, w.Draws, w.Predicted.LiveRounds, w.Predicted.StopReason, 100*w.Width)
}

// Search samples opt.Candidates scenarios in the search space, each
// validated and affordable on a real testbed, and ranks them (Rank) under
// calibration calib. It is deterministic for a seed.
func Search(ctx context.Context, calib models.Calibration, opt SearchOptions) ([]Candidate, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	n, techniques := opt.candidates(), opt.techniques()
	sp := SpaceFor(calib)
	if opt.Space != nil {
		sp = *opt.Space
	}
	limit := opt.MaxRealTime
	if limit <= 0 {
		limit = DefaultCandidateRealTime
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d6967726c6162)) // the stream: "migrlab"
	scenarios := make([]models.Scenario, n)
	for k := range scenarios {
		name := fmt.Sprintf("%s%d-%d", SearchScenarioPrefix, opt.Seed, k+1)
		for try := 0; ; try++ {
			s := sample(rng, sp, name, techniques)
			if err := s.Validate(); err != nil {
				return nil, fmt.Errorf("search: %w", err)
			}
			if models.EstimateRealTime(s, 0) <= limit {
				scenarios[k] = s
				break
			}
			if try == 100 {
				return nil, fmt.Errorf("search: no scenario of the search space is estimated under %s of real time (the largest memory is %s); "+
					"raise the limit or calibrate with smaller sizes", limit, sp.Memory[1])
			}
		}
	}
	return Rank(ctx, calib, scenarios)
}

// Rank scores every scenario's techniques (those that run on Podman hosts)
// under calib and returns the candidates, the highest score first (ties in
// the scenarios' order). Each technique's score is the larger of (a) the
// relative disagreement of the simulator and the closed-form model on
// downtime and bytes and (b) the share of noise draws (SearchDeviations)
// that change the live rounds or the stop reason, plus the relative width
// of the downtime interval. Scenarios are scored in parallel; the result
// does not depend on it.
func Rank(ctx context.Context, calib models.Calibration, scenarios []models.Scenario) ([]Candidate, error) {
	devs, _ := SearchDeviations(calib)
	out := make([]Candidate, len(scenarios))
	errs := make([]error, len(scenarios))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(scenarios), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = score(ctx, calib, scenarios[i].WithDefaults(), devs)
			}
		}()
	}
	for i := range scenarios {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case out[a].Score > out[b].Score:
			return -1
		case out[a].Score < out[b].Score:
			return 1
		}
		return a - b
	})
	ranked := make([]Candidate, len(out))
	for r, i := range order {
		ranked[r] = out[i]
		ranked[r].Rank = r + 1
	}
	return ranked, nil
}

// score scores one scenario: every technique's parts, the largest score.
func score(ctx context.Context, calib models.Calibration, s models.Scenario, devs []models.Deviation) (Candidate, error) {
	c := Candidate{Scenario: s}
	applied := calib.Apply(s)
	perturbed := make([]models.Scenario, len(devs))
	for i, d := range devs {
		perturbed[i] = calib.Perturb(d).Apply(s)
	}
	run, _ := Techniques(s)
	for _, t := range run {
		ts := TechniqueScore{Technique: t}
		p, err := sim.Run(ctx, applied, t, 0)
		if err != nil {
			return c, fmt.Errorf("search: %s %s: %w", s.Name, t, err)
		}
		ts.Predicted = p.Metrics
		if a, ok, err := sim.AnalyticRecord(applied, t, 0); ok && err == nil {
			ts.ClosedForm = &a.Metrics
			ts.Disagreement = max(gap(p.Metrics.DowntimeS, a.Metrics.DowntimeS),
				gap(float64(p.Metrics.BytesSent), float64(a.Metrics.BytesSent)))
		}
		// The draws of the prediction's kind, as its interval takes them (WithInterval).
		kind := sameKind(devs, p.Metrics.LiveRounds > 0)
		var draws []models.Metrics
		var groups []int
		flips := 0
		for i, ps := range perturbed {
			if !kind[i] {
				continue
			}
			r, err := sim.Run(ctx, ps, t, 0)
			if err != nil {
				return c, fmt.Errorf("search: %s %s under the calibration's noise: %w", s.Name, t, err)
			}
			if r.Metrics.LiveRounds != p.Metrics.LiveRounds || r.Metrics.StopReason != p.Metrics.StopReason {
				flips++
			}
			draws = append(draws, r.Metrics)
			groups = append(groups, devs[i].Repetition)
		}
		ts.Draws = len(draws)
		if len(draws) > 0 {
			ts.Flips = float64(flips) / float64(len(draws))
		}
		if iv := models.NewInterval(DefaultConfidence, draws, groups); iv != nil && p.Metrics.DowntimeS > 0 {
			ts.Width = (iv.DowntimeS[1] - iv.DowntimeS[0]) / p.Metrics.DowntimeS
		}
		ts.Score = max(ts.Disagreement, ts.Flips+ts.Width)
		c.Techniques = append(c.Techniques, ts)
		c.Score = max(c.Score, ts.Score)
	}
	return c, nil
}

// gap is the relative gap of two predictions, |a-b|/max(|a|,|b|): 0 when
// they agree, towards 1 when one is many times the other.
func gap(a, b float64) float64 {
	m := max(math.Abs(a), math.Abs(b))
	if m == 0 {
		return 0
	}
	return math.Abs(a-b) / m
}

// SearchDeviations is the noise a search perturbs its predictions with:
// the calibration's spread (fromSpread), or, when it holds fewer than
// three deviations (a calibration fitted before spreads were kept), each
// phase 10 % slower and 10 % faster in turn.
func SearchDeviations(c models.Calibration) (ds []models.Deviation, fromSpread bool) {
	if len(c.Spread) >= minSpread {
		return c.Spread, true
	}
	for _, f := range []float64{0.9, 1.1} {
		ds = append(ds, models.Deviation{FinalDump: f}, models.Deviation{FinalTransfer: f},
			models.Deviation{Restore: f}, models.Deviation{LiveRounds: f})
	}
	return ds, false
}
