package fidelity

import (
	"context"
	"errors"
	"time"

	"github.com/migrlab/migrlab/models"
)

// ErrNothingToFit means records hold no successful real single-container
// migration to fit a calibration from.
var ErrNothingToFit = errors.New("no successful real single-container record to fit")

// Refit fits a calibration from the records of an earlier calibration,
// without a testbed. prev, when not nil, is an earlier calibration (of any
// schema) whose testbed, hosts, link latency and capacity are kept; otherwise the
// testbed's name comes from the records' provenance.
func Refit(recs []models.Record, prev *models.Calibration) (models.Calibration, error) {
	var s Samples
	recs, probes := splitRole(recs, models.RoleProbe)
	// Warm-ups (the calibration's and the apps') are neither fitted nor
	// the calibration's spread: Calibrate never sees them either.
	recs, _ = splitRole(recs, models.RoleWarmup)
	fitted, _ := splitRole(recs, models.RoleCheck)
	kept := Representative(fitted)
	if s.Extract(kept...) == 0 {
		return models.Calibration{}, ErrNothingToFit
	}
	var link *Link
	if prev != nil {
		if rtt := 2 * prev.Network.Latency.Duration(); rtt > 0 {
			link = &Link{RTTs: []time.Duration{rtt}}
		}
	}
	cal, err := Fit(s, link)
	if err != nil {
		return cal, err
	}
	seen := map[string]bool{}
	for _, r := range fitted {
		if r.Backend == models.BackendReal && r.Error == "" && !seen[r.Scenario] {
			seen[r.Scenario] = true
			cal.Scenarios = append(cal.Scenarios, r.Scenario)
		}
	}
	if prev != nil {
		cal.Testbed, cal.Hosts, cal.LinkCapacity = prev.Testbed, prev.Hosts, prev.LinkCapacity
	}
	if cal.Testbed == "" && len(recs) > 0 {
		cal.Testbed = recs[0].Provenance.Host["testbed"]
	}
	cal.HostPace = FitHostPace(context.Background(), cal, kept)
	cal.Spread = Deviations(context.Background(), cal, kept)
	cal.Envelope = EnvelopeOf(kept)
	cal.Noise = NoiseOf(kept)
	cal.ModelErrors = CheckErrors(context.Background(), cal, kept, flagChecks(recs, cal.Envelope))
	cal = WithAppCosts(context.Background(), cal, probes)
	cal.Created = time.Now().UTC().Format(time.RFC3339)
	return cal, nil
}
