package models

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Memory models of the simulator.
const (
	// ModelPages tracks the dirty set at page granularity: a page written twice
	// within a round is sent once, writes fall on the writable working set with a
	// hot/cold split.
	ModelPages = "pages"
	// ModelAnalytic counts every dirtied byte as new, capped per round at the
	// writable working set: the assumption of the closed-form models.
	ModelAnalytic = "analytic"
)

// Scenario is everything a migration experiment needs, in one serialisable value.
type Scenario struct {
	Name string `yaml:"name" json:"name"`
	// Techniques to run; default cold, precopy, migrror.
	Techniques []string `yaml:"techniques,omitempty" json:"techniques,omitempty"`
	Memory     Memory   `yaml:"memory" json:"memory"`
	Workload   Workload `yaml:"workload" json:"workload"`
	// App names the user's own container for a real testbed instead of the
	// synthetic workload (see App); unset: the synthetic workload.
	App     App     `yaml:"app,omitempty" json:"app,omitzero"`
	Network Network `yaml:"network" json:"network"`
	Costs   Costs   `yaml:"costs,omitempty" json:"costs"`
	PreCopy struct {
		Stop StopRules `yaml:"stop,omitempty" json:"stop"`
	} `yaml:"precopy,omitempty" json:"precopy"`
	MiGrror  MiGrrorParams  `yaml:"migrror,omitempty" json:"migrror"`
	PostCopy PostCopyParams `yaml:"postcopy,omitempty" json:"postcopy"`
	// Model is the simulator's memory model: pages (default) or analytic.
	Model string `yaml:"model,omitempty" json:"model"`
	Group Group  `yaml:"group,omitempty" json:"group"`
	// Repetitions of each technique, each with its own derived seed (default 1).
	Repetitions int `yaml:"repetitions,omitempty" json:"repetitions"`
	// Seed is mixed into every derived seed, so a whole study can be re-drawn.
	Seed uint64 `yaml:"seed,omitempty" json:"seed"`
}

// WithDefaults fills unset optional fields with the documented defaults.
func (s Scenario) WithDefaults() Scenario {
	if len(s.Techniques) == 0 {
		s.Techniques = []string{Cold, PreCopy, MiGrror}
	}
	if s.Memory.PageSize == 0 {
		s.Memory.PageSize = 4096
	}
	if s.Model == "" {
		s.Model = ModelPages
	}
	if s.Group.Containers == 0 {
		s.Group.Containers = 1
	}
	if s.Group.Mode == "" {
		s.Group.Mode = GroupSequential
	}
	if s.Repetitions == 0 {
		s.Repetitions = 1
	}
	s.App = s.App.WithDefaults()
	st := &s.PreCopy.Stop
	if st.MaxRounds == 0 && st.TrafficCap == 0 {
		st.MaxRounds = 30
	}
	if st.Threshold == 0 && st.MaxDowntime == 0 {
		st.Threshold = 64 * s.Memory.PageSize // p.haul's 64 pages
	}
	if s.MiGrror.SyncThreshold == 0 {
		s.MiGrror.SyncThreshold = 256 * s.Memory.PageSize
	}
	if s.PostCopy.Handover == 0 {
		s.PostCopy.Handover = 64 * s.Memory.PageSize
	}
	return s
}

// Validate checks the whole scenario; the error names the first invalid field
// and what would be valid.
func (s Scenario) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return errors.New("name: every scenario needs a name")
	}
	if len(s.Name) > MaxNameLen {
		return fmt.Errorf("name: at most %d characters (records, tables and file names carry it), got %d", MaxNameLen, len(s.Name))
	}
	if err := s.Memory.Validate(); err != nil {
		return err
	}
	if err := s.Workload.Validate(s.Memory); err != nil {
		return err
	}
	if err := s.Network.Validate(); err != nil {
		return err
	}
	if err := s.Costs.Validate(); err != nil {
		return err
	}
	if err := s.PreCopy.Stop.Validate("precopy.stop"); err != nil {
		return err
	}
	if err := s.MiGrror.Validate(s.Memory); err != nil {
		return err
	}
	if s.PostCopy.Handover < 0 || s.PostCopy.Handover > s.Memory.Size {
		return fmt.Errorf("postcopy.handover: must be between 0 and memory.size (%s), got %s", s.Memory.Size, s.PostCopy.Handover)
	}
	if s.Model != ModelPages && s.Model != ModelAnalytic {
		return fmt.Errorf("model: must be %q or %q, got %q", ModelPages, ModelAnalytic, s.Model)
	}
	if err := s.Group.Validate(); err != nil {
		return err
	}
	if err := s.App.Validate(); err != nil {
		return err
	}
	if s.Repetitions < 1 || s.Repetitions > 100000 {
		return fmt.Errorf("repetitions: must be between 1 and 100000, got %d", s.Repetitions)
	}
	if len(s.Techniques) == 0 {
		return fmt.Errorf("techniques: list at least one of %s", strings.Join(TechniqueNames, ", "))
	}
	seen := map[string]int{}
	for i, t := range s.Techniques {
		tn, err := NewTechnique(t, s)
		if err != nil {
			return fmt.Errorf("techniques[%d]: %w", i, err)
		}
		if j, dup := seen[tn.Name()]; dup {
			return fmt.Errorf("techniques[%d]: %q is techniques[%d] again; list each technique once (use repetitions for more runs)", i, t, j)
		}
		seen[tn.Name()] = i
	}
	return s.checkClock()
}

// ParseScenario reads one scenario from YAML (JSON is YAML too), rejects unknown
// fields, applies defaults and validates it.
func ParseScenario(r io.Reader) (Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return Scenario{}, fmt.Errorf("reading scenario: %w", err)
	}
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return Scenario{}, errors.New("scenario: the file is empty; see examples/ for a template")
		}
		if located := locateError(data, reflect.TypeOf(s), ""); located != nil {
			return Scenario{}, fmt.Errorf("scenario: %w", located)
		}
		return Scenario{}, fmt.Errorf("scenario: %v", cleanYAMLError(LocateSyntaxError(data, err)))
	}
	if located := locateError(data, reflect.TypeOf(s), ""); located != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", located)
	}
	if err := oneDocument(dec); err != nil {
		return Scenario{}, fmt.Errorf("scenario: %w", err)
	}
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return s, fmt.Errorf("scenario %q: %w", s.Name, err)
	}
	return s, nil
}

// MaxNameLen bounds a scenario's name (a sweep adds its axis values to it).
const MaxNameLen = 1024

// oneDocument refuses a second YAML document after the first: it would be
// ignored silently.
func oneDocument(dec *yaml.Decoder) error {
	var rest yaml.Node
	if err := dec.Decode(&rest); errors.Is(err, io.EOF) {
		return nil
	}
	return errors.New("the file holds more than one YAML document (---); give one per file")
}

func cleanYAMLError(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}
