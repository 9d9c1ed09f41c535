package workload

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

// parsed returns a config as ParseArgs returns it: defaults of ParseArgs,
// changed by f.
func parsed(f func(*Config)) Config {
	c := Config{Memory: models.Memory{Size: 64 << 20, PageSize: PageSize}, Seed: 1, Tick: DefaultTick, Listen: "0.0.0.0:7000"}
	c.Workload.DirtyRate = 1 << 20
	f(&c)
	return c
}

// at is a trace time.
func at(d time.Duration) models.Duration { return models.Duration(d) }

func TestArgsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"defaults", parsed(func(*Config) {})},
		{"fractional rate, wws, largest seed, port 0", parsed(func(c *Config) {
			c.Workload.DirtyRate, c.Workload.WWS, c.Seed, c.Listen = 17555555.56, 8<<20, ^uint64(0), "0.0.0.0:0"
		})},
		{"rate below one byte per second", parsed(func(c *Config) { c.Workload.DirtyRate = 0.5 })},
		{"hot split", parsed(func(c *Config) {
			c.Memory.Size, c.Workload.HotFraction, c.Workload.HotShare = 1<<30, 0.05, 0.8
		})},
		{"hot split with a wws and a fine fraction", parsed(func(c *Config) {
			c.Workload.WWS, c.Workload.HotFraction, c.Workload.HotShare = 16<<20, 1.0/3, 0.9
		})},
		{"rate trace with fractional seconds", parsed(func(c *Config) {
			c.Workload.RateTrace.Points = []models.TracePoint{{At: 0, Factor: 1}, {At: at(50 * time.Microsecond), Factor: 0.1},
				{At: at(3486 * time.Millisecond), Factor: 1e-5}, {At: at(12500 * time.Millisecond), Factor: 2.5},
				{At: at(90125 * time.Millisecond), Factor: 1.0 / 3}, {At: at(1e6*time.Second + 1), Factor: 1e6}}
		})},
		{"tick, trace, hot split and wws", parsed(func(c *Config) {
			c.Tick, c.Workload.WWS, c.Workload.HotFraction, c.Workload.HotShare = 5*time.Millisecond, 32<<20, 0.25, 0.9
			c.Workload.RateTrace.Points = []models.TracePoint{{At: 0, Factor: 0}, {At: at(1500 * time.Millisecond), Factor: 4}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.cfg.Args()
			got, err := ParseArgs(args, nil, io.Discard)
			if err != nil {
				t.Fatalf("ParseArgs(%q): %v", args, err)
			}
			if !reflect.DeepEqual(got, tt.cfg) {
				t.Errorf("ParseArgs(%q) =\n%+v\nwant\n%+v", args, got, tt.cfg)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"defaults", parsed(func(*Config) {}), "--mem 67108864 --rate 1048576 --seed 1 --port 7000"},
		{"no listen address: no port", Config{Memory: models.Memory{Size: 4096}, Seed: 3}, "--mem 4096 --rate 0 --seed 3"},
		{"hot share without a hot fraction is not written", parsed(func(c *Config) { c.Workload.HotShare = 0.9 }),
			"--mem 67108864 --rate 1048576 --seed 1 --port 7000"},
		{"everything", parsed(func(c *Config) {
			c.Workload.DirtyRate, c.Workload.WWS, c.Workload.HotFraction, c.Workload.HotShare = 17555555.56, 8<<20, 0.25, 0.9
			c.Workload.RateTrace.Points = []models.TracePoint{{At: 0, Factor: 1}, {At: at(50 * time.Microsecond), Factor: 1e-5},
				{At: at(3486 * time.Millisecond), Factor: 2}, {At: at(1e6 * time.Second), Factor: 0.5}}
			c.Workload.RateTrace.Until = at(time.Hour * 1000)
			c.Tick, c.Listen = 5*time.Millisecond, "[::]:7100"
		}), "--mem 67108864 --rate 17555555.56 --seed 1 --port 7100 --wws 8388608 --hot-fraction 0.25 --hot-share 0.9 " +
			"--rate-trace 0s=1,0.00005s=1e-05,3.486s=2,1000000s=0.5 --tick 5ms"},
	}
	for _, tt := range tests {
		if got := strings.Join(tt.cfg.Args(), " "); got != tt.want {
			t.Errorf("%s: Args =\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{1, "0.000000001s"},
		{50 * time.Microsecond, "0.00005s"},
		{3486 * time.Millisecond, "3.486s"},
		{90125 * time.Millisecond, "90.125s"},
		{30 * time.Second, "30s"},
		{-1500 * time.Millisecond, "-1.5s"},
		{1<<63 - 1, "9223372036.854775807s"},
		{-1 << 63, "-9223372036.854775808s"},
	}
	for _, tt := range tests {
		got := formatSeconds(tt.in)
		if got != tt.want {
			t.Errorf("formatSeconds(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.in {
			t.Errorf("time.ParseDuration(%q) = %d, %v; want %d", got, back, err, tt.in)
		}
	}
}
