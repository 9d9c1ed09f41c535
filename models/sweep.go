package models

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Axis is one swept parameter: a dotted path and its values, written either as
// a list or as a range {from, to, steps} (linear, or geometric with log: true).
type Axis struct {
	Param  string
	Values []string
}

// Sweep is a grid of scenarios: every combination of the axes applied to a base.
type Sweep struct {
	Name string
	Base Scenario
	Axes []Axis
	// MaxScenarios refuses grids larger than this unless forced (default
	// DefaultMaxScenarios, at most MaxSweepScenarios).
	MaxScenarios int
}

// Size returns the number of scenarios in the grid.
func (s Sweep) Size() int {
	n := 1
	for _, a := range s.Axes {
		n *= len(a.Values)
		if n > math.MaxInt32 {
			return math.MaxInt32
		}
	}
	return n
}

// Scenario returns the i-th scenario of the grid (the last axis varies fastest),
// named after the base and the values that differ.
func (s Sweep) Scenario(i int) (Scenario, error) {
	sc := s.Base
	sc.Techniques = append([]string(nil), s.Base.Techniques...)
	var name []string
	for k := len(s.Axes) - 1; k >= 0; k-- {
		a := s.Axes[k]
		v := a.Values[i%len(a.Values)]
		i /= len(a.Values)
		if err := SetParam(&sc, a.Param, v); err != nil {
			return sc, err
		}
		name = append([]string{a.Param[strings.LastIndex(a.Param, ".")+1:] + "=" + v}, name...)
	}
	return s.finishScenario(sc, name)
}

// finishScenario names a grid's scenario after the values of its axes,
// applies the defaults and validates it.
func (s Sweep) finishScenario(sc Scenario, name []string) (Scenario, error) {
	if len(name) > 0 {
		sc.Name = s.Base.Name + "/" + strings.Join(name, ",")
	}
	sc = sc.WithDefaults()
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("sweep scenario %q: %w", sc.Name, err)
	}
	return sc, nil
}

type sweepFile struct {
	Name         string               `yaml:"name"`
	Base         yaml.Node            `yaml:"base"`
	Grid         map[string]yaml.Node `yaml:"grid"`
	MaxScenarios int                  `yaml:"max_scenarios"`
}

type rangeSpec struct {
	From  string `yaml:"from"`
	To    string `yaml:"to"`
	Steps int    `yaml:"steps"`
	Log   bool   `yaml:"log"`
}

// ParseSweep reads a sweep file: a name, a base scenario and a grid of
// parameter paths to value lists or ranges. Every scenario of the grid is
// checked before anything runs.
func ParseSweep(r io.Reader) (Sweep, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return Sweep{}, err
	}
	var f sweepFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return Sweep{}, errors.New("sweep: the file is empty; see examples/sweep-dirty-rate.yaml")
		}
		if located := locateError(data, reflect.TypeOf(f), "sweep"); located != nil {
			return Sweep{}, located
		}
		return Sweep{}, fmt.Errorf("sweep: %v", cleanYAMLError(LocateSyntaxError(data, err)))
	}
	if located := locateError(data, reflect.TypeOf(f), "sweep"); located != nil {
		return Sweep{}, located
	}
	if err := oneDocument(dec); err != nil {
		return Sweep{}, fmt.Errorf("sweep: %w", err)
	}
	if f.Base.Kind == 0 || f.Base.ShortTag() == "!!null" {
		return Sweep{}, errors.New("sweep.base: give the base scenario under `base:`")
	}
	if located := locateNode(&f.Base, reflect.TypeOf(Scenario{}), "sweep.base"); located != nil {
		return Sweep{}, located
	}
	base, err := yaml.Marshal(&f.Base)
	if err != nil {
		return Sweep{}, fmt.Errorf("sweep.base: %v", cleanYAMLError(err))
	}
	sc, err := ParseScenario(bytes.NewReader(base))
	if err != nil {
		return Sweep{}, fmt.Errorf("sweep.base: %w", err)
	}
	if f.MaxScenarios < 0 || f.MaxScenarios > MaxSweepScenarios {
		return Sweep{}, fmt.Errorf("sweep.max_scenarios: must be between 1 and %d (default %d; larger grids need --force), got %d",
			MaxSweepScenarios, DefaultMaxScenarios, f.MaxScenarios)
	}
	sw := Sweep{Name: f.Name, Base: sc, MaxScenarios: f.MaxScenarios}
	if sw.Name == "" {
		sw.Name = sc.Name
	}
	if sw.MaxScenarios == 0 {
		sw.MaxScenarios = DefaultMaxScenarios
	}
	keys := make([]string, 0, len(f.Grid))
	for k := range f.Grid {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Check every parameter and the grid's size before expanding any range.
	size := 1.0
	for _, k := range keys {
		n := f.Grid[k]
		if err := CheckParam(k); err != nil {
			return Sweep{}, fmt.Errorf("sweep.grid.%s: %w", k, err)
		}
		size *= float64(axisLen(&n))
	}
	if size > math.MaxInt32 {
		return Sweep{}, fmt.Errorf("sweep.grid: %.4g scenarios, more than %d, cannot run even with --force; split the sweep", size, math.MaxInt32)
	}
	for _, k := range keys {
		n := f.Grid[k]
		vals, err := axisValues(k, &n)
		if err != nil {
			return Sweep{}, err
		}
		probe := sc
		if err := SetParam(&probe, k, vals[0]); err != nil {
			return Sweep{}, fmt.Errorf("sweep.grid.%s: %w", k, err)
		}
		sw.Axes = append(sw.Axes, Axis{Param: k, Values: vals})
	}
	return sw, sw.Check(false)
}

// Limits of a sweep's grid.
const (
	// DefaultMaxScenarios is max_scenarios when a sweep file does not set it.
	DefaultMaxScenarios = 100000
	// MaxSweepScenarios is the most scenarios a sweep runs without --force,
	// whatever its max_scenarios says: at the sweep-10k example's pace
	// (docs/concepts.md, Performance) a million scenarios of three techniques take
	// about two minutes of CPU and write some 4 GB of records.
	MaxSweepScenarios = 1000000
)

// ErrTooLarge marks a sweep or a set of runs refused for its size or
// estimated cost (errors.Is); --force runs it anyway.
var ErrTooLarge = errors.New("too large")

// tooLarge is an error that errors.Is reports as ErrTooLarge.
type tooLarge struct{ msg string }

func (e tooLarge) Error() string        { return e.msg }
func (e tooLarge) Is(target error) bool { return target == ErrTooLarge }

func tooLargef(format string, a ...any) error { return tooLarge{fmt.Sprintf(format, a...)} }

// Check refuses grids with an empty axis, and grids beyond MaxScenarios (or
// MaxSweepScenarios) unless force is set; that error wraps ErrTooLarge.
func (s Sweep) Check(force bool) error {
	for _, a := range s.Axes {
		if len(a.Values) == 0 {
			return fmt.Errorf("sweep.grid.%s: no values", a.Param)
		}
	}
	n := s.Size()
	switch {
	case force:
	case n > MaxSweepScenarios:
		return tooLargef("sweep: the grid has %d scenarios, more than the limit of %d; split the sweep, or pass --force to run anyway", n, MaxSweepScenarios)
	case n > s.MaxScenarios && s.MaxScenarios > 0:
		return tooLargef("sweep: the grid has %d scenarios, more than the sweep's max_scenarios (%d); raise max_scenarios (up to %d), or pass --force to run anyway",
			n, s.MaxScenarios, MaxSweepScenarios)
	}
	return nil
}

// axisLen returns how many values an axis node will expand to (0 when it is
// malformed: axisValues then says why).
func axisLen(n *yaml.Node) int {
	switch n.Kind {
	case yaml.SequenceNode:
		return len(n.Content)
	case yaml.MappingNode:
		var rs rangeSpec
		if n.Decode(&rs) == nil && rs.Steps > 0 {
			return rs.Steps
		}
	}
	return 0
}

func axisValues(param string, n *yaml.Node) ([]string, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("sweep.grid.%s: values must be scalars", param)
			}
			out = append(out, c.Value)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("sweep.grid.%s: empty list", param)
		}
		return out, nil
	case yaml.MappingNode:
		var rs rangeSpec
		if err := locateNode(n, reflect.TypeOf(rs), "sweep.grid."+param); err != nil {
			return nil, err
		}
		if err := n.Decode(&rs); err != nil {
			return nil, fmt.Errorf("sweep.grid.%s: %v", param, cleanYAMLError(err))
		}
		return RangeValues(param, rs.From, rs.To, rs.Steps, rs.Log)
	}
	return nil, fmt.Errorf("sweep.grid.%s: want a list of values or {from, to, steps}", param)
}

// RangeValues expands a range into steps values from..to inclusive. Units are
// taken from `from` (sizes, rates, durations or plain numbers).
func RangeValues(param, from, to string, steps int, logScale bool) ([]string, error) {
	if steps < 1 || steps > 1000000 {
		return nil, fmt.Errorf("sweep.grid.%s.steps: must be between 1 and 1000000, got %d", param, steps)
	}
	a, errA := strconv.ParseFloat(normalizeNumber(from), 64)
	b, errB := strconv.ParseFloat(normalizeNumber(to), 64)
	if errA != nil || errB != nil {
		return nil, fmt.Errorf("sweep.grid.%s: from/to must be numbers, sizes (1MiB), rates (10MB/s) or durations (10ms); got %q, %q", param, from, to)
	}
	if logScale && (a <= 0 || b <= 0) {
		return nil, fmt.Errorf("sweep.grid.%s: a log range needs positive from and to", param)
	}
	out := make([]string, steps)
	for i := range out {
		f := 0.0
		if steps > 1 {
			f = float64(i) / float64(steps-1)
		}
		v := a + (b-a)*f
		if logScale {
			v = a * math.Pow(b/a, f)
		}
		out[i] = strconv.FormatFloat(v, 'g', 10, 64) + unitOf(from)
	}
	return out, nil
}

// normalizeNumber returns the value of s in the base unit of its kind, as text.
func normalizeNumber(s string) string {
	if r, err := ParseRate(s); err == nil && strings.HasSuffix(strings.TrimSpace(s), "/s") {
		return strconv.FormatFloat(float64(r), 'g', -1, 64)
	}
	if b, err := ParseByteSize(s); err == nil {
		return strconv.FormatInt(int64(b), 10)
	}
	if d, err := ParseDuration(s); err == nil {
		return strconv.FormatFloat(d.Seconds(), 'g', -1, 64)
	}
	return s
}

// unitOf returns the base-unit suffix that keeps a normalised value's kind:
// "/s" for rates, "s" for durations, "" for sizes (bytes) and plain numbers.
func unitOf(s string) string {
	if strings.HasSuffix(strings.TrimSpace(s), "/s") {
		return "/s"
	}
	if _, err := ParseByteSize(s); err != nil {
		if d, err := ParseDuration(s); err == nil && d != 0 {
			return "s"
		}
	}
	return ""
}
