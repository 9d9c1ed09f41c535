package workload

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/probe"
)

// EnvPrefix prefixes the environment variables that set flags: --hot-share is
// also MIGRLAB_HOT_SHARE. Flags given on the command line win.
const EnvPrefix = "MIGRLAB_"

// ParseArgs parses the workload's command line (without the program name),
// taking defaults from getenv (for example os.Getenv; nil means none). Usage
// and errors go to out.
//
//	--mem 64MiB          memory to allocate and keep resident
//	--rate 4MiB/s        dirty rate: bytes/s (4MiB/s, 1MB/s, 4096) or pages/s (1000pages/s, 1000p/s)
//	--wws 16MiB          writable working set, <= mem (default: all of mem)
//	--hot-fraction 0.1   share of the WWS that is hot (0: no hot/cold split)
//	--hot-share 0.9      share of the writes going to hot pages
//	--rate-trace 0s=1,30s=2  piecewise-constant factor on the rate over running time
//	--seed 1             seed of the write pattern
//	--port 7000          UDP and TCP probe port (on 0.0.0.0)
//	--tick 10ms          pacing interval of the writes
func ParseArgs(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	cfg := Config{Memory: models.Memory{Size: 64 << 20, PageSize: PageSize}, Seed: 1, Tick: DefaultTick}
	cfg.Workload.DirtyRate = 1 << 20
	cfg.Workload.HotShare = 0.9
	port := probe.DefaultPort
	fs := flag.NewFlagSet("migrlab-workload", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Var(sizeFlag{&cfg.Memory.Size}, "mem", "memory to allocate and keep resident (64MiB, 1GiB, bytes)")
	fs.Var(rateFlag{&cfg.Workload.DirtyRate}, "rate", "dirty rate in bytes/s (4MiB/s) or pages/s (1000pages/s); each page write counts one page")
	fs.Var(sizeFlag{&cfg.Workload.WWS}, "wws", "writable working set, at most --mem (0 = all memory)")
	fs.Float64Var(&cfg.Workload.HotFraction, "hot-fraction", 0, "share of the WWS that is hot, in [0, 1) (0 = no hot/cold split)")
	fs.Float64Var(&cfg.Workload.HotShare, "hot-share", cfg.Workload.HotShare, "share of writes going to hot pages (used when --hot-fraction > 0)")
	fs.Var(traceFlag{&cfg.Workload.RateTrace}, "rate-trace", "rate factors over running time, for example 0s=1,30s=2,60s=0.5")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the write pattern")
	fs.IntVar(&port, "port", port, "UDP and TCP probe port, on 0.0.0.0")
	fs.DurationVar(&cfg.Tick, "tick", cfg.Tick, "pacing interval of the writes")
	if getenv != nil {
		var err error
		fs.VisitAll(func(f *flag.Flag) {
			env := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
			if v := getenv(env); v != "" && err == nil {
				if e := fs.Set(f.Name, v); e != nil {
					err = fmt.Errorf("%s=%q: %w", env, v, e)
				}
			}
		})
		if err != nil {
			return Config{}, err
		}
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if port < 0 || port > 65535 {
		return Config{}, fmt.Errorf("--port: must be in [0, 65535], got %d", port)
	}
	cfg.Listen = "0.0.0.0:" + strconv.Itoa(port)
	if cfg.Workload.HotFraction == 0 {
		cfg.Workload.HotShare = 0
	}
	cfg = cfg.WithDefaults()
	return cfg, cfg.Validate()
}

// sizeFlag is a flag.Value over a models.ByteSize.
type sizeFlag struct{ p *models.ByteSize }

func (f sizeFlag) String() string {
	if f.p == nil {
		return ""
	}
	return f.p.String()
}

func (f sizeFlag) Set(s string) error {
	v, err := models.ParseByteSize(s)
	if err == nil {
		*f.p = v
	}
	return err
}

// rateFlag is a flag.Value over a models.Rate that also accepts pages/s.
type rateFlag struct{ p *models.Rate }

func (f rateFlag) String() string {
	if f.p == nil {
		return ""
	}
	return f.p.String()
}

func (f rateFlag) Set(s string) error {
	v, err := ParseRate(s)
	if err == nil {
		*f.p = v
	}
	return err
}

// ParseRate parses a dirty rate in bytes per second ("4MiB/s", "1MB/s",
// "4096") or in pages per second ("1000pages/s", "1000p/s", "1000pps"); pages
// are PageSize bytes.
func ParseRate(s string) (models.Rate, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, suf := range []string{"pages/s", "page/s", "p/s", "pps"} {
		if num, ok := strings.CutSuffix(t, suf); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || v < 0 || v > 1e12 {
				return 0, fmt.Errorf("invalid rate %q: want a non-negative number of pages per second such as 1000pages/s", s)
			}
			return models.Rate(v * PageSize), nil
		}
	}
	return models.ParseRate(s)
}

// traceFlag is a flag.Value over a models.Trace written as "at=factor,...".
type traceFlag struct{ p *models.Trace }

func (f traceFlag) String() string {
	if f.p == nil {
		return ""
	}
	return formatTrace(*f.p)
}

func (f traceFlag) Set(s string) error {
	var tr models.Trace
	for _, part := range strings.Split(s, ",") {
		at, factor, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("trace point %q: want at=factor, for example 30s=2", part)
		}
		d, err := models.ParseDuration(at)
		if err != nil {
			return err
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(factor), 64)
		if err != nil {
			return fmt.Errorf("trace point %q: factor %q is not a number", part, factor)
		}
		tr.Points = append(tr.Points, models.TracePoint{At: d, Factor: x})
	}
	if err := tr.Validate("rate-trace"); err != nil {
		return err
	}
	*f.p = tr
	return nil
}
