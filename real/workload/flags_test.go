package workload

import (
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
)

func TestParseArgs(t *testing.T) {
	defaults := Config{Memory: models.Memory{Size: 64 << 20, PageSize: PageSize}, Seed: 1, Tick: 10 * time.Millisecond, Listen: "0.0.0.0:7000"}
	defaults.Workload.DirtyRate = 1 << 20
	with := func(f func(*Config)) Config {
		c := defaults
		f(&c)
		return c
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want Config
	}{
		{"defaults", nil, nil, defaults},
		{"sizes and bytes rate", []string{"--mem", "128MiB", "--wws", "16MiB", "--rate", "4MiB/s", "--seed", "9", "--port", "7100"}, nil,
			with(func(c *Config) {
				c.Memory.Size, c.Workload.WWS, c.Workload.DirtyRate, c.Seed, c.Listen = 128<<20, 16<<20, 4<<20, 9, "0.0.0.0:7100"
			})},
		{"pages rate and hot/cold", []string{"--rate=1000pages/s", "--hot-fraction=0.1", "--hot-share=0.8", "--tick=5ms"}, nil,
			with(func(c *Config) {
				c.Workload.DirtyRate, c.Workload.HotFraction, c.Workload.HotShare, c.Tick = 1000*PageSize, 0.1, 0.8, 5*time.Millisecond
			})},
		{"hot share defaults to 0.9 with a hot fraction", []string{"--hot-fraction", "0.25"}, nil,
			with(func(c *Config) { c.Workload.HotFraction, c.Workload.HotShare = 0.25, 0.9 })},
		{"environment", nil, map[string]string{"MIGRLAB_MEM": "8MiB", "MIGRLAB_RATE": "250p/s", "MIGRLAB_HOT_FRACTION": "0.5", "MIGRLAB_PORT": "0"},
			with(func(c *Config) {
				c.Memory.Size, c.Workload.DirtyRate, c.Workload.HotFraction, c.Workload.HotShare, c.Listen = 8<<20, 250*PageSize, 0.5, 0.9, "0.0.0.0:0"
			})},
		{"flags win over the environment", []string{"--mem", "2MiB"}, map[string]string{"MIGRLAB_MEM": "8MiB"},
			with(func(c *Config) { c.Memory.Size = 2 << 20 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Memory, tt.want.Memory) || got.Workload.DirtyRate != tt.want.Workload.DirtyRate || got.Workload.WWS != tt.want.Workload.WWS ||
				got.Workload.HotFraction != tt.want.Workload.HotFraction || got.Workload.HotShare != tt.want.Workload.HotShare ||
				got.Seed != tt.want.Seed || got.Listen != tt.want.Listen || got.Tick != tt.want.Tick {
				t.Errorf("ParseArgs = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
}

func TestParseArgsRateTrace(t *testing.T) {
	got, err := ParseArgs([]string{"--rate-trace", "0s=1, 30s=2,1m=0.5"}, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []models.TracePoint{{At: 0, Factor: 1}, {At: models.Duration(30 * time.Second), Factor: 2}, {At: models.Duration(time.Minute), Factor: 0.5}}
	if len(got.Workload.RateTrace.Points) != len(want) {
		t.Fatalf("trace %+v, want %+v", got.Workload.RateTrace, want)
	}
	for i, p := range want {
		if got.Workload.RateTrace.Points[i] != p {
			t.Errorf("point %d = %+v, want %+v", i, got.Workload.RateTrace.Points[i], p)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		args    []string
		env     map[string]string
		wantErr string
	}{
		{[]string{"--mem", "lots"}, nil, "invalid size"},
		{[]string{"--rate", "-5pages/s"}, nil, "invalid rate"},
		{[]string{"--wws", "128MiB"}, nil, "workload.wws"},
		{[]string{"--hot-fraction", "1"}, nil, "hot_fraction"},
		{[]string{"--port", "70000"}, nil, "--port"},
		{[]string{"--rate-trace", "5s=1"}, nil, "first point must be at 0"},
		{[]string{"--rate-trace", "0s"}, nil, "want at=factor"},
		{[]string{"extra"}, nil, "unexpected arguments"},
		{nil, map[string]string{"MIGRLAB_SEED": "x"}, "MIGRLAB_SEED"},
		{[]string{"--tick", "0.1ms"}, nil, "tick"},
	}
	for _, tt := range tests {
		_, err := ParseArgs(tt.args, func(k string) string { return tt.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseArgs(%q, %v) error %v, want one containing %q", tt.args, tt.env, err, tt.wantErr)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want models.Rate
	}{
		{"4096", 4096},
		{"1MiB/s", 1 << 20},
		{"1MB/s", 1e6},
		{"100pages/s", 100 * PageSize},
		{"1 page/s", PageSize},
		{"2.5p/s", 2.5 * PageSize},
		{"10PPS", 10 * PageSize},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
