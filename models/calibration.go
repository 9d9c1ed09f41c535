package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// CalibrationSchema is the version of the calibration file format.
const CalibrationSchema = 1

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
	// Network is the measured host-to-host link.
	Network Network `json:"network"`
	// Costs are the fitted fixed and per-page costs.
	Costs Costs `json:"costs"`
	// BaseMemory is the memory a workload container has beyond the buffer it
	// was asked to hold (runtime, stacks, page tables): what CRIU dumps on top.
	BaseMemory ByteSize `json:"base_memory_bytes"`
	// BaseDirtyRate is memory dirtied by the container's runtime regardless of
	// the configured rate (bytes/s), spread over BaseMemory.
	BaseDirtyRate Rate `json:"base_dirty_rate_bytes_per_s"`
	// DirtyRateFactor scales the configured dirty rate to what soft-dirty counts
	// show (1 = as configured).
	DirtyRateFactor float64 `json:"dirty_rate_factor"`
	// Fits documents every fitted quantity: the samples it came from and how well
	// the model explained them.
	Fits []Fit `json:"fits"`
	// Scenarios names the scenarios used to calibrate; comparisons never judge them.
	Scenarios []string `json:"scenarios,omitempty"`
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
		return fmt.Errorf("calibration.schema: %d, this migrlab reads schema %d; run `migrlab calibrate` again", c.Schema, CalibrationSchema)
	}
	if err := c.Network.Validate(); err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	if err := c.Costs.Validate(); err != nil {
		return fmt.Errorf("calibration: %w", err)
	}
	if c.BaseMemory < 0 || c.BaseDirtyRate < 0 {
		return errors.New("calibration: base_memory_bytes and base_dirty_rate_bytes_per_s must not be negative")
	}
	if !(c.DirtyRateFactor > 0) || c.DirtyRateFactor > 100 {
		return fmt.Errorf("calibration.dirty_rate_factor: must be in (0, 100], got %g", c.DirtyRateFactor)
	}
	return nil
}

// Apply returns the scenario as the simulator should see it on the calibrated
// testbed: the measured link and costs, restores that load every page (CRIU
// restores from images), and the container's real memory and dirtying. The
// scenario's own workload (size, rate, WWS) stays what the user asked for.
func (c Calibration) Apply(s Scenario) Scenario {
	s.Network = c.Network
	s.Costs = c.Costs
	s.Costs.RestoreAllPages = true
	base := int64(c.BaseMemory) / int64(s.Memory.PageSize) * int64(s.Memory.PageSize)
	wws := s.Workload.WWSBytes(s.Memory)
	s.Memory.Size += ByteSize(base)
	rate := float64(s.Workload.DirtyRate)*c.DirtyRateFactor + float64(c.BaseDirtyRate)
	s.Workload.DirtyRate = Rate(math.Max(rate, 0))
	if base > 0 {
		// the runtime's pages are written too: they join the working set
		s.Workload.WWS = ByteSize(min(wws+base, int64(s.Memory.Size)))
	}
	return s
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
	dec := json.NewDecoder(io.LimitReader(r, 16<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("calibration: not a calibration file: %v", err)
	}
	return c, c.Validate()
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
