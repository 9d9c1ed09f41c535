package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// CalibrationSchema is the version of the calibration file format.
//
// Schema 2 (2026-11-30) replaced schema 1's dirty_rate_factor and
// base_dirty_rate_bytes_per_s (a scaled workload rate over one pool) with
// runtime_hot_bytes and runtime_dirty_rate_bytes_per_s (the runtime's own
// dirtying beside the workload's, see RuntimeDirtying).
const CalibrationSchema = 2

// Calibration is what a testbed measured about itself so the simulator can
// predict migrations on it: the link, the checkpoint/restore costs, and how a
// container's memory really looks to CRIU (the pages beyond the workload's own
// buffer, the dirtying beyond the configured rate).
type Calibration struct {
	Schema  int    `json:"schema"`
	Testbed string `json:"testbed"`
	// Created is when the calibration ran (RFC 3339), set by the caller.
	Created string `json:"created"`
	// Hosts are the facts (kernel, podman, criu, runtime, accel) per host.
	Hosts map[string]map[string]string `json:"hosts"`
	// Network is the measured host-to-host link: what the agents' transfers
	// achieved (frozen and live rounds), and the latency.
	Network Network `json:"network"`
	// LinkCapacity is what the private link itself carries, in bytes per
	// second: a bulk transfer between the agents that touches no disk. The
	// transfers of a migration are slower (the agents read, hash, write and
	// sync the checkpoint data); Link keeps that part when a scenario
	// shapes the link. Zero in calibrations made before it was measured.
	LinkCapacity Rate `json:"link_capacity_bytes_per_s,omitempty"`
	// Costs are the fitted fixed and per-page costs.
	Costs Costs `json:"costs"`
	// BaseMemory is the memory a workload container has beyond the buffer it
	// was asked to hold (runtime, stacks, page tables): what CRIU dumps on top.
	BaseMemory ByteSize `json:"base_memory_bytes"`
	// RuntimeHot is the part of BaseMemory dirty in every round, however
	// short: what the container's runtime touches all the time, whatever the
	// workload's rate.
	RuntimeHot ByteSize `json:"runtime_hot_bytes"`
	// RuntimeDirtyRate is the page writes (bytes/s) the runtime spreads over
	// the rest of BaseMemory (or, RuntimeFresh, over pages not dirty yet),
	// whatever the workload's rate.
	RuntimeDirtyRate Rate `json:"runtime_dirty_rate_bytes_per_s"`
	// RuntimeFresh says each of those writes dirties a page not dirty yet
	// (RuntimeDirtying.Fresh): the count grows with the window instead of
	// filling BaseMemory. Calibrations fitted before 2026-12-05 leave it
	// false and keep the filling model they were fitted with.
	RuntimeFresh bool `json:"runtime_fresh,omitempty"`
	// Fits documents every fitted quantity: the samples it came from and how well
	// the model explained them.
	Fits []Fit `json:"fits"`
	// Scenarios names the scenarios used to calibrate; comparisons never judge them.
	Scenarios []string `json:"scenarios,omitempty"`
	// Spread holds how each calibration migration departed from the
	// calibration's prediction of it: predictions take their intervals
	// from it (see Deviation).
	Spread []Deviation `json:"spread,omitempty"`
	// Envelope is the range of conditions the calibration's migrations ran
	// under: a migration outside it is flagged and not scored.
	Envelope Envelope `json:"envelope"`
	// Noise is how well the testbed repeated its calibration migrations,
	// per technique and metric: the floor under any prediction error.
	Noise []Noise `json:"noise,omitempty"`
	// Apps holds, per app scenario (by name), how its own container's
	// checkpoint, transfer and restore departed from this calibration's
	// prediction in its probe migration (see AppCosts): an app dumps and
	// restores its own processes, files and sockets, which the synthetic
	// workload the calibration measured does not have; and how fast its
	// load wrote meanwhile (Deviation.Pace). Apply scales an app
	// scenario's costs by them and runs its workload at that pace.
	Apps map[string]Deviation `json:"apps,omitempty"`
	// AppLevels holds, per probed app, how far the synthetic reference
	// migrations run beside its probes departed from this calibration,
	// phase by phase: the testbed's pace while the app was probed, which
	// its factors in Apps are relative to (not applied by Apply).
	AppLevels map[string]Deviation `json:"app_levels,omitempty"`
	// AppEnvelopes holds, per probed app, the envelope widened by its probe
	// migrations: an app's load runs beside its migration (a busier source
	// than the synthetic workload's), and its probes measured its costs
	// under that load, so its migrations are judged against them too.
	AppEnvelopes map[string]Envelope `json:"app_envelopes,omitempty"`
	// AppErrors holds, per probed app, how far the simulator under the
	// app's own costs still missed its probe migrations: the app's model
	// (its dirtying profiled at rest, one factor per phase for a cold and
	// a chained dump alike) is wrong by about that much, which the
	// calibration's repetitions of the synthetic workload do not show. The
	// intervals of its predictions are widened by it (Interval.Widen).
	AppErrors map[string]ModelError `json:"app_errors,omitempty"`
	// ModelErrors holds, per technique, how far the simulator under this
	// calibration missed the calibration's check migrations: scenarios run
	// beside the plan and never fitted (see fidelity.CheckErrors). It is the
	// model's own error on a scenario it was not fitted to, which the
	// spread of the fitted migrations cannot show; every prediction's
	// interval is widened by its technique's (Interval.Widen).
	ModelErrors map[string]ModelError `json:"model_errors,omitempty"`
	// HostPace relates each migration's phases to the hosts' pace
	// measured right before it (nil: the calibration's migrations measured
	// none, or too few); predictions of a measured migration apply it
	// (AtHostPace), and Spread holds what it leaves unexplained.
	HostPace *HostPace `json:"host_pace,omitempty"`
}

// EnvelopeFor is the envelope migrations of scenario s are judged against:
// its app's (AppEnvelopes) when it has one, the calibration's otherwise.
func (c Calibration) EnvelopeFor(s Scenario) Envelope {
	if e, ok := c.AppEnvelopes[s.Name]; ok && s.App.Enabled() {
		return e
	}
	return c.Envelope
}

// Noise is a testbed's repeatability for one technique and metric: the
// mean absolute percentage error that each repeated scenario's median
// measurement scores on its own repetitions (Cells scenarios, N
// migrations).
type Noise struct {
	Technique string  `json:"technique"`
	Metric    string  `json:"metric"`
	FloorMAPE float64 `json:"floor_mape"`
	Cells     int     `json:"cells"`
	N         int     `json:"n"`
}

// Fit is one fitted relation y = Intercept + Slope * x over N samples.
type Fit struct {
	Name      string  `json:"name"`
	X         string  `json:"x"`
	Y         string  `json:"y"`
	Intercept float64 `json:"intercept"`
	Slope     float64 `json:"slope"`
	R2        float64 `json:"r2"`
	N         int     `json:"n"`
}

// Validate checks that the calibration can drive the simulator.
func (c Calibration) Validate() error {
	if c.Schema != CalibrationSchema {
		return fmt.Errorf("calibration.schema: %d, this migrlab reads schema %d; run `migrlab calibrate` again "+
			"(or refit the calibration's records: migrlab calibrate --from-records RECORDS --previous OLD.json)", c.Schema, CalibrationSchema)
	}
	if c.Network.Native() {
		return errors.New("calibration.network: no measured link (bandwidth_bytes_per_s); run `migrlab calibrate` again")
	}
	if err := c.Network.Validate(); err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	if err := c.Costs.Validate(); err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	if c.BaseMemory < 0 || c.RuntimeDirtyRate < 0 || c.RuntimeDirtyRate != c.RuntimeDirtyRate {
		return errors.New("calibration: base_memory_bytes and runtime_dirty_rate_bytes_per_s must not be negative")
	}
	if c.RuntimeHot < 0 || c.RuntimeHot > c.BaseMemory {
		return fmt.Errorf("calibration.runtime_hot_bytes: must be between 0 and base_memory_bytes (%s), got %s", c.BaseMemory, c.RuntimeHot)
	}
	for field, m := range map[string]map[string]Deviation{"apps": c.Apps, "app_levels": c.AppLevels} {
		for name, d := range m {
			for _, f := range []float64{d.FinalDump, d.FinalTransfer, d.Restore, d.LiveRounds, d.Bytes} {
				if !(f >= 0) || f > 100 {
					return fmt.Errorf("calibration.%s.%s: cost factors must be between 0 (none measured) and 100, got %+v; run the app's probe again (migrlab compare or demo)", field, name, d)
				}
			}
		}
	}
	if c.HostPace != nil {
		if err := c.HostPace.Validate(); err != nil {
			return err
		}
	}
	for name, e := range c.AppErrors {
		for _, v := range []float64{e.DowntimeS, e.TotalTimeS, e.Bytes} {
			if !(v >= 0) || v > 5 {
				return fmt.Errorf("calibration.app_errors.%s: log errors must be between 0 and 5, got %+v; run the app's probe again (migrlab compare or demo)", name, e)
			}
		}
	}
	return nil
}

// Apply returns the scenario as the simulator should see it on the calibrated
// testbed: the measured link (or the scenario's own network as the testbed
// delivers it, see Link) and costs, restores that load every page (CRIU
// restores from images), and the container's real memory: the runtime's
// BaseMemory beside the buffer, dirtied at its own pace (Workload.Runtime).
// The scenario's own workload (size, rate, WWS) stays what the user asked
// for: the workload writes at its configured rate. An app's scenario keeps
// its memory and workload as they are: they describe its whole container;
// its costs are the calibration's scaled by the app's own factors (Apps),
// when its probe measured them, and its load and memory as they run it
// (Deviation.OnApp). A traffic cap keeps
// multiplying the memory the scenario gives (StopRules.CapOf), as the real
// migration's does.
func (c Calibration) Apply(s Scenario) Scenario {
	if s.PreCopy.Stop.TrafficCap > 0 && s.PreCopy.Stop.CapOf == 0 {
		// The real migration's traffic cap multiplies the memory the
		// scenario gives, before the runtime's or an app's resident scaling.
		s.PreCopy.Stop.CapOf = s.Memory.Size
	}
	if d, ok := c.Apps[s.Name]; ok && s.App.Enabled() {
		c = c.Perturb(d)
		s = d.OnApp(s)
	}
	n, setup := c.Link(s.Network)
	s.Network = n
	s.Costs = c.Costs
	s.Costs.TransferSetup += Duration(setup)
	s.Costs.RestoreAllPages = true
	if s.App.Enabled() {
		// An app's memory and workload describe its whole container (from
		// `migrlab profile`): the workload's runtime is not in it.
		return s
	}
	ps := int64(s.Memory.PageSize)
	base := int64(c.BaseMemory) / ps * ps
	s.Workload.WWS = ByteSize(s.Workload.WWSBytes(s.Memory)) // explicit: the runtime's pages are not the WWS
	s.Memory = s.Memory.Plus(ByteSize(base))
	hot := min(int64(c.RuntimeHot)/ps*ps, base)
	s.Workload.Runtime = RuntimeDirtying{Memory: ByteSize(base), Hot: ByteSize(hot), Rate: c.RuntimeDirtyRate, Fresh: c.RuntimeFresh}
	if base-hot < ps && !c.RuntimeFresh {
		s.Workload.Runtime.Rate = 0
	}
	return s
}

// RuntimeWrites says how the runtime writes beyond its hot pages, for
// summaries: "writes R over the rest" (of BaseMemory), or, RuntimeFresh,
// "dirties R of fresh pages".
func (c Calibration) RuntimeWrites() string {
	if c.RuntimeFresh {
		return fmt.Sprintf("dirties %s of fresh pages", c.RuntimeDirtyRate)
	}
	return fmt.Sprintf("writes %s over the rest", c.RuntimeDirtyRate)
}

// WriteCalibration writes c as indented JSON.
func WriteCalibration(w io.Writer, c Calibration) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// ReadCalibration reads and validates a calibration file.
func ReadCalibration(r io.Reader) (Calibration, error) {
	var c Calibration
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return c, fmt.Errorf("calibration: %v", err)
	}
	// Another schema's fields are not this one's: say so before the strict decode would.
	var head struct {
		Schema int `json:"schema"`
	}
	if json.Unmarshal(data, &head) == nil && head.Schema > 0 && head.Schema != CalibrationSchema {
		return c, Calibration{Schema: head.Schema}.Validate()
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("calibration: not a calibration file: %v", err)
	}
	return c, c.Validate()
}

// ReadCalibrationFacts reads what any schema of calibration file says about
// its testbed (Testbed, Created, Hosts, Network, LinkCapacity): what a refit of its records
// keeps. Nothing is validated; the fitted parameters may be of another schema.
func ReadCalibrationFacts(r io.Reader) (Calibration, error) {
	var c struct {
		Schema  int                          `json:"schema"`
		Testbed string                       `json:"testbed"`
		Created string                       `json:"created"`
		Hosts   map[string]map[string]string `json:"hosts"`
		Network Network                      `json:"network"`
		Link    Rate                         `json:"link_capacity_bytes_per_s"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&c); err != nil || c.Schema < 1 {
		return Calibration{}, fmt.Errorf("calibration: not a calibration file: %v", err)
	}
	return Calibration{Schema: c.Schema, Testbed: c.Testbed, Created: c.Created, Hosts: c.Hosts, Network: c.Network, LinkCapacity: c.Link}, nil
}

// FitLine fits y = a + b x by least squares and reports R^2.
func FitLine(name, xName, yName string, xs, ys []float64) (Fit, error) {
	n := len(xs)
	if n != len(ys) || n < 2 {
		return Fit{}, fmt.Errorf("fit %s: need at least 2 paired samples, got %d and %d", name, len(xs), len(ys))
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	fn := float64(n)
	den := fn*sxx - sx*sx
	if den == 0 {
		return Fit{}, fmt.Errorf("fit %s: all samples have the same %s; vary it", name, xName)
	}
	b := (fn*sxy - sx*sy) / den
	a := (sy - b*sx) / fn
	mean := sy / fn
	var ssRes, ssTot float64
	for i := range xs {
		e := ys[i] - (a + b*xs[i])
		ssRes += e * e
		ssTot += (ys[i] - mean) * (ys[i] - mean)
	}
	r2 := 1.0
	if ssTot > 0 {
		r2 = 1 - ssRes/ssTot
	}
	return Fit{Name: name, X: xName, Y: yName, Intercept: a, Slope: b, R2: r2, N: n}, nil
}
