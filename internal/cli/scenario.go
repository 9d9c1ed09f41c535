package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/migrlab/migrlab/examples"
	"github.com/migrlab/migrlab/models"
	"github.com/urfave/cli/v2"
)

var scenarioFlags = []cli.Flag{
	&cli.StringFlag{Name: "scenario", Aliases: []string{"s"}, Usage: "scenario YAML file (default: the built-in examples/" + examples.Default + ")"},
	&cli.StringSliceFlag{Name: "set", Usage: "override a parameter: --set workload.dirty_rate=30MB/s (repeatable; any scenario path)"},
	&cli.StringFlag{Name: "techniques", Aliases: []string{"t"}, Usage: "comma-separated techniques (cold, precopy, migrror, postcopy)"},
	&cli.IntFlag{Name: "reps", Usage: "repetitions per technique (overrides the scenario)"},
}

// loadScenario reads the scenario named by --scenario or the one positional
// argument (or the built-in one without either) and applies --set,
// --techniques and --reps; errors are usage errors.
func loadScenario(c *cli.Context) (models.Scenario, error) {
	var data []byte
	var err error
	p := c.String("scenario")
	switch {
	case c.NArg() > 1:
		return models.Scenario{}, usagef("%s: one scenario file at most, got %q (a sweep: migrlab sweep FILE)", c.Command.Name, c.Args().Slice())
	case c.NArg() == 1 && p != "":
		return models.Scenario{}, usagef("%s: give the scenario once, as -s %s or as %s, not both", c.Command.Name, p, c.Args().First())
	case c.NArg() == 1:
		p = c.Args().First()
	}
	if p != "" {
		data, err = os.ReadFile(p)
	} else {
		data, err = examples.FS.ReadFile(examples.Default)
	}
	if err != nil {
		return models.Scenario{}, usagef("scenario: %v", err)
	}
	s, err := models.ParseScenario(bytes.NewReader(data))
	if err != nil && p != "" {
		return s, usagef("%s: %w", p, err) // the file's name, with the line and column inside it
	}
	if err != nil {
		return s, UsageError{err}
	}
	for _, kv := range c.StringSlice("set") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return s, usagef("--set %q: want path=value, for example workload.dirty_rate=30MB/s", kv)
		}
		if err := models.SetParam(&s, strings.TrimSpace(k), strings.TrimSpace(v)); err != nil {
			return s, usagef("--set: %v", err)
		}
	}
	if t := c.String("techniques"); t != "" {
		s.Techniques = strings.Split(t, ",")
	}
	if n := c.Int("reps"); n != 0 {
		s.Repetitions = n
	}
	if err := s.Validate(); err != nil {
		return s, usagef("scenario %q: %v", s.Name, err)
	}
	return s, nil
}

// recordSink writes records as JSON Lines to a file (or nowhere when path is
// empty) and keeps them for the summary table.
type recordSink struct {
	f    *os.File
	w    *models.RecordWriter
	prov models.Provenance
	keep bool
	recs []models.Record
}

func newRecordSink(path string, stdout io.Writer, prov models.Provenance, keep bool) (*recordSink, error) {
	s := &recordSink{prov: prov, keep: keep}
	if path == "" {
		return s, nil
	}
	if path == "-" {
		s.w = models.NewRecordWriter(stdout)
		return s, nil
	}
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	s.f, s.w = f, models.NewRecordWriter(f)
	return s, nil
}

func dirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return "."
}

func (s *recordSink) write(r models.Record) error {
	r.Provenance = s.prov
	if s.keep {
		s.recs = append(s.recs, r)
	}
	if s.w != nil {
		return s.w.Write(r)
	}
	return nil
}

func (s *recordSink) close() error {
	if s.f != nil {
		return s.f.Close()
	}
	return nil
}
