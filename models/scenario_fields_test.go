package models

import (
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// fieldsBase is a valid scenario with every field set (testdata/every-field.yaml,
// shared with the docs' field tests); the tests below replace one field of it
// at a time.
var fieldsBase = func() string {
	b, err := os.ReadFile("testdata/every-field.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// withField returns fieldsBase with the value at path (dots, and [i] for
// list elements) replaced by the YAML value.
func withField(t *testing.T, path, value string) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(fieldsBase), &doc); err != nil {
		t.Fatal(err)
	}
	var v yaml.Node
	if err := yaml.Unmarshal([]byte("v: "+value), &v); err != nil {
		t.Fatalf("value %q: %v", value, err)
	}
	n := doc.Content[0]
	parts := strings.Split(path, ".")
	for i, p := range parts {
		idx := -1
		if j := strings.Index(p, "["); j >= 0 {
			idx, _ = strconv.Atoi(strings.TrimSuffix(p[j+1:], "]"))
			p = p[:j]
		}
		var next *yaml.Node
		for k := 0; k+1 < len(n.Content); k += 2 {
			if n.Content[k].Value == p {
				next = n.Content[k+1]
			}
		}
		if next == nil {
			t.Fatalf("%s: no %q in the base scenario", path, p)
		}
		if idx >= 0 {
			next = next.Content[idx]
		}
		if i == len(parts)-1 {
			*next = *v.Content[0].Content[1]
		}
		n = next
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// leafPaths lists the YAML path of every leaf field of t (list elements as [0]).
func leafPaths(t reflect.Type, prefix string) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct:
		var out []string
		for _, tag := range fieldTags(t) {
			ft, _ := fieldTypeByTag(t, tag)
			out = append(out, leafPaths(ft, join(prefix, tag))...)
		}
		return out
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return leafPaths(t.Elem(), prefix+"[0]")
	}
	return []string{prefix}
}

func TestFieldsBaseIsValid(t *testing.T) {
	if _, err := ParseScenario(strings.NewReader(fieldsBase)); err != nil {
		t.Fatal(err)
	}
}

// TestEveryFieldRefusesAWrongType feeds a mapping to every leaf field: the
// error names the field's path and what it wants.
func TestEveryFieldRefusesAWrongType(t *testing.T) {
	for _, p := range leafPaths(reflect.TypeOf(Scenario{}), "") {
		t.Run(p, func(t *testing.T) {
			v := "{a: 1}"
			if p == "app.env" {
				v = "[a]" // a mapping is what a map wants
			}
			_, err := ParseScenario(strings.NewReader(withField(t, p, v)))
			if err == nil || !strings.Contains(err.Error(), p+": want ") {
				t.Fatalf("err = %v, want it to name %q and what it wants", err, p)
			}
		})
	}
}

// invalidValues holds, for every leaf field of a scenario, invalid values and
// what the error must say: the field's path and what is allowed.
var invalidValues = map[string][]struct{ value, want string }{
	"name":                                     {{`""`, "name: every scenario needs a name"}, {strings.Repeat("n", 1025), "name: at most 1024"}},
	"techniques":                               {{"[teleport]", "techniques[0]: unknown technique \"teleport\" (valid: cold"}, {"[cold, cold]", "techniques[1]: \"cold\" is techniques[0] again"}, {"cold", "techniques: want a list"}},
	"memory.size":                              {{"-1GiB", "memory.size: must be positive"}, {"1KiB", "memory.size: 1.00KiB is smaller than one page"}, {"1e400", "memory.size: invalid size"}, {"9000PiB", "memory.size: invalid size"}, {"1 parsec", `memory.size: invalid size "1 parsec": unknown unit`}},
	"memory.initial":                           {{"-1MiB", "memory.initial: must be between 0"}, {"2GiB", "memory.initial: must be between 0 (not growing) and memory.size"}},
	"memory.growth[0].after":                   {{"0s", "memory.growth[0].after: times must be above 0"}, {"-1s", "memory.growth[0].after"}},
	"memory.growth[1].after":                   {{"5s", "memory.growth[1].after: times must be above 0 and increase"}},
	"memory.growth[0].bytes":                   {{"256MiB", "memory.growth[0].bytes: must be between the previous point's (or memory.initial"}, {"2GiB", "memory.growth[0].bytes: must be between"}},
	"memory.growth[1].bytes":                   {{"600MiB", "memory.growth[1].bytes: must be between the previous point's"}},
	"memory.marks[0].after":                    {{"0s", "memory.marks[0].after: times must be above 0"}},
	"memory.marks[1].after":                    {{"2s", "memory.marks[1].after: times must be above 0 and increase"}},
	"memory.marks[0].bytes":                    {{"0", "memory.marks[0].bytes: must be above 0 and at most memory.size"}, {"2GiB", "memory.marks[0].bytes: must be above 0"}},
	"memory.mark_spread":                       {{"-1s", "memory.mark_spread: must be zero (the marks' median gap) or positive"}},
	"memory.check_touch":                       {{"2GiB", "memory.check_touch: must be between 0"}, {"-1MiB", "memory.check_touch: must be between 0"}},
	"memory.page_size":                         {{"-4KiB", "memory.page_size: must be a power of two up to 1GiB"}, {"2GiB", "memory.page_size: must be a power of two up to 1GiB"}, {"3KiB", "memory.page_size: must be a power of two"}},
	"workload.dirty_rate":                      {{"-1MB/s", "workload.dirty_rate: must be zero or positive"}, {".nan", "workload.dirty_rate: invalid rate"}, {"1e300", "workload.dirty_rate: invalid rate \"1e300\": out of range"}},
	"workload.wws":                             {{"2GiB", "workload.wws: must be between 0 and memory.size"}, {"-1", "workload.wws: must be between 0 and memory.size"}},
	"workload.hot_fraction":                    {{"1", "workload.hot_fraction: must be in [0, 1)"}, {".nan", "workload.hot_fraction: must be in [0, 1)"}, {"-.inf", "workload.hot_fraction: must be in [0, 1)"}},
	"workload.hot_share":                       {{"1.5", "workload.hot_share: must be in [0, 1]"}, {".nan", "workload.hot_share: must be in [0, 1]"}, {"0", "workload.hot_share: set the share"}},
	"workload.runtime.memory":                  {{"-1", "workload.runtime.memory: must be between 0 and memory.size minus the WWS (768.00MiB)"}, {"800MiB", "set workload.wws below memory.size"}},
	"workload.runtime.hot":                     {{"5MiB", "workload.runtime.hot: must be between 0 and workload.runtime.memory (4.00MiB)"}, {"-1", "workload.runtime.hot: must be between 0"}},
	"workload.runtime.rate":                    {{"-1", "workload.runtime.rate: must be zero or positive"}, {".nan", "workload.runtime.rate"}, {"1e16", "workload.runtime.rate"}},
	"workload.runtime.fresh":                   {{"maybe", "workload.runtime.fresh: want true or false"}},
	"workload.rate_trace.points[0].at":         {{"1s", "workload.rate_trace.points[0].at: the first point must be at 0"}, {"-1s", "workload.rate_trace.points[0].at: the first point must be at 0"}},
	"workload.rate_trace.points[1].at":         {{"0s", "workload.rate_trace.points[1].at: points must be in strictly increasing time order"}},
	"workload.rate_trace.points[0].factor":     {{"-1", "workload.rate_trace.points[0].factor: must be between 0 and 1e6"}, {".nan", "workload.rate_trace.points[0].factor: must be between 0 and 1e6"}, {".inf", "workload.rate_trace.points[0].factor: must be between 0 and 1e6"}},
	"workload.rate_trace.until":                {{"-1s", "workload.rate_trace.until: must not be negative"}, {"1s", "workload.rate_trace.until: 1s ends before the last point"}},
	"workload.curve.points[0].window":          {{"0s", "workload.curve.points[0].window: windows must be above 0"}, {"-1s", "workload.curve.points[0].window"}},
	"workload.curve.points[1].window":          {{"50ms", "workload.curve.points[1].window: windows must be above 0 and increase"}},
	"workload.curve.points[0].bytes":           {{"-1", "workload.curve.points[0].bytes: must be between"}, {"2GiB", "workload.curve.points[0].bytes: must be between"}},
	"workload.curve.points[1].bytes":           {{"1MiB", "workload.curve.points[1].bytes: must be between the previous point's"}},
	"workload.curve.growing[0].window":         {{"0s", "workload.curve.growing[0].window: windows must be above 0"}},
	"workload.curve.growing[1].window":         {{"50ms", "workload.curve.growing[1].window: windows must be above 0 and increase"}},
	"workload.curve.growing[0].bytes":          {{"-1", "workload.curve.growing[0].bytes: must be between"}, {"2GiB", "workload.curve.growing[0].bytes: must be between"}},
	"workload.curve.growing[1].bytes":          {{"512KiB", "workload.curve.growing[1].bytes: must be between the previous point's"}},
	"network.bandwidth":                        {{"0", "network.bandwidth: must be positive"}, {"-1MB/s", "network.bandwidth: must be positive"}, {"1e18", "network.bandwidth: must be positive"}, {"1", "network.bandwidth"}},
	"network.latency":                          {{"-5ms", "network.latency: must be between 0 and 1h"}, {"2h", "network.latency: must be between 0 and 1h"}, {"3000000h", "network.latency: invalid duration"}},
	"network.jitter":                           {{"-1ms", "network.jitter: must be between 0 and 1h"}, {"5", "network.jitter: invalid duration"}},
	"network.loss":                             {{"101%", "network.loss: must be between 0% and 100%"}, {"100%", "network.loss: 100% loss carries nothing"}, {"0.5", "network.loss: invalid percentage"}, {"-1%", "network.loss: must be between"}},
	"network.live_bandwidth":                   {{"-1", "network.live_bandwidth: must be zero (the same as bandwidth) or positive"}},
	"network.bandwidth_trace.points[0].at":     {{"1s", "network.bandwidth_trace.points[0].at: the first point must be at 0"}},
	"network.bandwidth_trace.points[1].factor": {{"0", "network.bandwidth_trace.points[1].factor: the last factor must be positive"}, {"1e-300", "network.bandwidth_trace's smallest factor"}},
	"network.bandwidth_trace.points[0].factor": {{"2e6", "network.bandwidth_trace.points[0].factor: must be between 0 and 1e6"}},
	"network.bandwidth_trace.until":            {{"-1s", "network.bandwidth_trace.until: must not be negative"}},
	"costs.freeze":                             {{"-1ms", "costs.freeze: must be between 0 and 24h"}, {"25h", "costs.freeze: must be between 0 and 24h"}},
	"costs.dump_per_page":                      {{"-1us", "costs.dump_per_page: must be between 0 and 24h"}, {"24h", "costs.dump_per_page (or final_dump_per_page) x memory pages: a migration could need up to"}},
	"costs.final_dump_per_page":                {{"-1us", "costs.final_dump_per_page: must be between 0 and 24h"}},
	"costs.round_setup":                        {{"-1ms", "costs.round_setup: must be between 0 and 24h"}},
	"costs.final_setup":                        {{"-1ms", "costs.final_setup: must be between 0 and 24h"}},
	"costs.transfer_setup":                     {{"-1ms", "costs.transfer_setup: must be between 0 and 24h"}},
	"costs.restore_base":                       {{"-1ms", "costs.restore_base: must be between 0 and 24h"}},
	"costs.chained_final_setup":                {{"-1ms", "costs.chained_final_setup: must be between 0 and 24h"}},
	"costs.chained_restore_base":               {{"-1ms", "costs.chained_restore_base: must be between 0 and 24h"}},
	"costs.restore_per_page":                   {{"-1us", "costs.restore_per_page: must be between 0 and 24h"}},
	"costs.restore_per_final_page":             {{"-1us", "costs.restore_per_final_page: must be between 0 and 24h"}},
	"costs.restore_all_pages":                  {{"maybe", "costs.restore_all_pages: want true or false"}},
	"costs.resume":                             {{"-1ms", "costs.resume: must be between 0 and 24h"}, {"1e10", "costs.resume: invalid duration \"1e10\": give a unit"}},
	"costs.round_overhead":                     {{"-1", "costs.round_overhead: must be between 0 and 1TiB"}},
	"costs.final_overhead":                     {{"2TiB", "costs.final_overhead: must be between 0 and 1TiB"}},
	"costs.dirty_scan":                         {{"-1ms", "costs.dirty_scan: must be between 0 and 24h"}},
	"costs.dirty_poll_interval":                {{"25h", "costs.dirty_poll_interval: must be between 0 and 24h"}},
	"costs.snapshot":                           {{"-1ms", "costs.snapshot: must be between 0 and 24h"}},
	"precopy.stop.threshold":                   {{"-1", "precopy.stop.threshold: must not be negative"}},
	"precopy.stop.max_downtime":                {{"-1s", "precopy.stop.max_downtime: must not be negative"}},
	"precopy.stop.min_shrink":                  {{"1", "precopy.stop.min_shrink: must be in (-1, 1)"}, {".nan", "precopy.stop.min_shrink: must be in (-1, 1)"}},
	"precopy.stop.traffic_cap":                 {{"0.5", "precopy.stop.traffic_cap: must be 0 (off) or between 1 and 1000"}, {".inf", "precopy.stop.traffic_cap: must be 0 (off) or between 1 and 1000"}, {".nan", "precopy.stop.traffic_cap"}},
	"precopy.stop.max_rounds":                  {{"-1", "precopy.stop.max_rounds: must be between 1 and 10000"}, {"10001", "precopy.stop.max_rounds: must be between 1 and 10000"}, {"2.5", "precopy.stop.max_rounds: want a whole number"}, {"99999999999999999999", "precopy.stop.max_rounds: want a whole number"}},
	"migrror.sync_threshold":                   {{"2GiB", "migrror.sync_threshold: must be between one page"}, {"-1", "migrror.sync_threshold: must be between one page"}},
	"migrror.min_interval":                     {{"-1s", "migrror.min_interval: must be between 0 and 24h"}},
	"migrror.trigger":                          {{"25h", "migrror.trigger: must be between 0 and 24h"}, {"-30s", "migrror.trigger: must be between 0 and 24h"}},
	"postcopy.handover":                        {{"2GiB", "postcopy.handover: must be between 0 and memory.size"}, {"-1", "postcopy.handover: must be between 0 and memory.size"}},
	"model":                                    {{"quantum", `model: must be "pages" or "analytic"`}},
	"group.containers":                         {{"-1", "group.containers: must be between 1 and 1000"}, {"1001", "group.containers: must be between 1 and 1000"}, {"1.5", "group.containers: want a whole number"}},
	"group.mode":                               {{"sideways", `group.mode: must be "sequential" or "parallel"`}},
	"repetitions":                              {{"-1", "repetitions: must be between 1 and 100000"}, {"100001", "repetitions: must be between 1 and 100000"}, {"1e30", "repetitions: want a whole number"}},
	"app.image":                                {{`"no spaces"`, "app.image: want an image name"}},
	"app.archive":                              {{`"a\nb"`, "app.archive: want a file path"}},
	"app.args":                                 {{`["a\u0000"]`, "app.args[0]: must not hold a NUL byte"}, {"x", "app.args: want a list"}},
	"app.env":                                  {{"{1A: x}", `app.env: "1A" is not a variable name`}},
	"app.port":                                 {{"0", "app.port: give the service's TCP port"}, {"70000", "app.port: give the service's TCP port"}, {"1.5", "app.port: want a whole number"}},
	"app.probe.tcp":                            {{"false", "app.probe.send: only a TCP or UDP probe sends and expects"}, {"maybe", "app.probe.tcp: want true or false"}},
	"app.probe.udp":                            {{"true", "app.probe.udp: send and expect serve one protocol"}, {"maybe", "app.probe.udp: want true or false"}},
	"app.probe.send":                           {{`""`, "app.probe.expect: give app.probe.send too"}},
	"app.probe.expect":                         {{"[a]", "app.probe.expect: want a string"}},
	"app.probe.http.path":                      {{"health", "app.probe.http.path: must start with /"}, {`""`, "app.probe.http.status: give app.probe.http.path too"}},
	"app.probe.http.status":                    {{"99", "app.probe.http.status: must be an HTTP status between 100 and 599"}, {"600", "app.probe.http.status: must be an HTTP status"}},
	"app.probe.exec":                           {{`" "`, "app.probe.exec: a blank command"}},
	"app.load.exec":                            {{`" "`, "app.load.exec: a blank command"}},
	"app.check.exec":                           {{`"\t"`, "app.check.exec: a blank command"}},
	"seed":                                     {{"-1", "seed: want a whole number between 0 and 2^64-1"}, {"18446744073709551616", "seed: want a whole number"}},
}

func TestEveryFieldRefusesInvalidValues(t *testing.T) {
	covered := map[string]bool{}
	for p, cases := range invalidValues {
		covered[strings.NewReplacer("[1]", "[0]").Replace(p)] = true
		for _, c := range cases {
			t.Run(p+"="+c.value[:min(len(c.value), 20)], func(t *testing.T) {
				_, err := ParseScenario(strings.NewReader(withField(t, p, c.value)))
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
				}
			})
		}
	}
	var missing []string
	for _, p := range leafPaths(reflect.TypeOf(Scenario{}), "") {
		if !covered[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("fields without an invalid-value case (add them to invalidValues): %s", strings.Join(missing, ", "))
	}
}

// TestImpossibleCombinations covers values that are each fine but impossible
// together: the error names a field and what to change.
func TestImpossibleCombinations(t *testing.T) {
	base := "name: x\nmemory: {size: 1GiB}\nworkload: {dirty_rate: 10MB/s}\nnetwork: {bandwidth: 1Gbit/s}\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"full copy beyond the clock", "name: x\nmemory: {size: 1TiB}\nworkload: {dirty_rate: 1MB/s}\nnetwork: {bandwidth: 1}\n", "memory.size over network.bandwidth"},
		{"post-copy faults beyond the clock", "name: x\ntechniques: [postcopy]\nmemory: {size: 1TiB, page_size: 256}\nworkload: {dirty_rate: 1MB/s}\nnetwork: {bandwidth: 1e15, latency: 1h}\n", "post-copy faults"},
		{"two documents", base + "---\n" + base, "more than one YAML document"},
		{"unknown field", base + "precopy: {stop: {max_roundz: 3}}\n", "precopy.stop.max_roundz: unknown field (line 5); valid here: threshold"},
		{"unknown field in a trace point", base + "network: {bandwidth: 1Gbit/s, bandwidth_trace: {points: [{at: 0, factr: 1}]}}\n", "network.bandwidth_trace.points[0].factr: unknown field"},
		{"not a mapping", "- a\n", "(top level): want a mapping"},
		{"runtime without room", "name: x\nmemory: {size: 1GiB}\nworkload: {dirty_rate: 10MB/s, runtime: {memory: 4MiB}}\nnetwork: {bandwidth: 1Gbit/s}\n", "workload.runtime.memory: must be between 0 and memory.size minus the WWS (0B)"},
		{"runtime writes with no page to write", "name: x\nmemory: {size: 1GiB}\nworkload: {dirty_rate: 10MB/s, wws: 1MiB, runtime: {memory: 4MiB, hot: 4MiB, rate: 1MB/s}}\nnetwork: {bandwidth: 1Gbit/s}\n", "workload.runtime.rate: 1MB/s of writes need at least one page of workload.runtime.memory beyond workload.runtime.hot"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenario(strings.NewReader(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestSetParamRefusesFractionsForWholeNumbers(t *testing.T) {
	s := Scenario{}
	if err := SetParam(&s, "precopy.stop.max_rounds", "2.5"); err == nil || !strings.Contains(err.Error(), "precopy.stop.max_rounds") {
		t.Fatalf("err = %v", err)
	}
	if err := SetParam(&s, "precopy.stop.max_rounds", "1e3"); err != nil || s.PreCopy.Stop.MaxRounds != 1000 {
		t.Fatalf("1e3: %v, %d", err, s.PreCopy.Stop.MaxRounds)
	}
}

// TestSweepFieldsRefuseInvalidValues does the same for a sweep file's fields.
func TestSweepFieldsRefuseInvalidValues(t *testing.T) {
	head := "name: s\nbase: {name: b, memory: {size: 1GiB}, workload: {dirty_rate: 1MB/s}, network: {bandwidth: 1Gbit/s}}\n"
	for _, c := range []struct{ name, yaml, want string }{
		{"name", "name: {a: 1}\nbase: {name: b}\n", "sweep.name: want a string"},
		{"base missing", "name: s\ngrid: {workload.dirty_rate: [1MB/s]}\n", "sweep.base: give the base scenario"},
		{"base not a mapping", "name: s\nbase: 5\n", "sweep.base: want a mapping"},
		{"base field", "name: s\nbase: {name: b, memory: {size: 1GiB}, workload: {dirty_rate: 1MB/s}, network: {bandwidth: 1Gbit/s}, repetitions: many}\n", "sweep.base.repetitions: want a whole number"},
		{"base value", "name: s\nbase: {name: b, memory: {size: -1}}\n", "memory.size: must be positive"},
		{"max_scenarios negative", head + "max_scenarios: -1\n", "sweep.max_scenarios: must be between 1 and 1000000"},
		{"max_scenarios huge", head + "max_scenarios: 2000000\n", "sweep.max_scenarios: must be between 1 and 1000000"},
		{"max_scenarios fraction", head + "max_scenarios: 2.5\n", "sweep.max_scenarios: want a whole number"},
		{"grid not a mapping", head + "grid: [a]\n", "sweep.grid: want a mapping"},
		{"grid unknown parameter", head + "grid: {memory.colour: [1]}\n", "sweep.grid.memory.colour: unknown parameter"},
		{"grid group parameter", head + "grid: {memory: [1]}\n", "sweep.grid.memory: parameter \"memory\" is a group"},
		{"grid empty list", head + "grid: {workload.dirty_rate: []}\n", "sweep.grid.workload.dirty_rate: empty list"},
		{"grid nested values", head + "grid: {workload.dirty_rate: [[1]]}\n", "sweep.grid.workload.dirty_rate: values must be scalars"},
		{"grid bad value", head + "grid: {workload.dirty_rate: [fast]}\n", "sweep.grid.workload.dirty_rate: parameter \"workload.dirty_rate\": invalid rate"},
		{"range from", head + "grid: {workload.dirty_rate: {from: fast, to: 2MB/s, steps: 3}}\n", "sweep.grid.workload.dirty_rate: from/to must be numbers"},
		{"range to", head + "grid: {workload.dirty_rate: {from: 1MB/s, to: [2], steps: 3}}\n", "sweep.grid.workload.dirty_rate.to: want a string"},
		{"range steps", head + "grid: {workload.dirty_rate: {from: 1MB/s, to: 2MB/s, steps: 0}}\n", "sweep.grid.workload.dirty_rate.steps: must be between 1 and 1000000"},
		{"range steps fraction", head + "grid: {workload.dirty_rate: {from: 1MB/s, to: 2MB/s, steps: 2.5}}\n", "sweep.grid.workload.dirty_rate.steps: want a whole number"},
		{"range log", head + "grid: {workload.dirty_rate: {from: 1MB/s, to: 2MB/s, steps: 3, log: maybe}}\n", "sweep.grid.workload.dirty_rate.log: want true or false"},
		{"range log negative", head + "grid: {workload.dirty_rate: {from: -1MB/s, to: 2MB/s, steps: 3, log: true}}\n", "sweep.grid.workload.dirty_rate: a log range needs positive from and to"},
		{"range unknown key", head + "grid: {workload.dirty_rate: {from: 1MB/s, to: 2MB/s, stesp: 3}}\n", "sweep.grid.workload.dirty_rate.stesp: unknown field"},
		{"unknown field", head + "colour: red\n", "sweep.colour: unknown field"},
		{"grid too large", head + "grid: {workload.dirty_rate: {from: 1, to: 2, steps: 1000000}, network.bandwidth: {from: 1MB/s, to: 2MB/s, steps: 1000000}, network.latency: {from: 1ms, to: 2ms, steps: 3000}}\n", "cannot run even with --force"},
		{"over max_scenarios", head + "max_scenarios: 2\ngrid: {workload.dirty_rate: [1MB/s, 2MB/s, 3MB/s]}\n", "pass --force to run anyway"},
		{"two documents", head + "---\n" + head, "more than one YAML document"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSweep(strings.NewReader(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestSweepCostEstimates(t *testing.T) {
	s, err := ParseScenario(strings.NewReader(fieldsBase))
	if err != nil {
		t.Fatal(err)
	}
	// One repetition of pre-copy: at most 8 live rounds and the final one, 2 parallel containers.
	if got, want := EstimateEvents(s, PreCopy), (9.0*eventsPerRound+eventsPerMigration+4)*2*1.02; math.Abs(got-want) > 1e-9 {
		t.Errorf("pre-copy events %g, want %g", got, want)
	}
	storm := s
	storm.MiGrror = MiGrrorParams{SyncThreshold: 4096, Trigger: Duration(24 * 3600e9)}
	storm.Workload.DirtyRate = 1e12
	if got := EstimateScenarioEvents(storm); got < MaxRunEvents {
		t.Errorf("a MiGrror sync storm estimated at %g events", got)
	}
	if _, err := CheckSweepCost([]Scenario{storm, storm, storm, storm, storm, storm, storm, storm, storm, storm, storm, storm}, false); err != nil {
		t.Errorf("12 capped storms (%g events) refused: %v", 12*EstimateScenarioEvents(storm), err)
	}
	many := make([]Scenario, 100)
	for i := range many {
		many[i] = storm
		many[i].Repetitions = 100
	}
	if _, err := CheckSweepCost(many, false); err == nil || !strings.Contains(err.Error(), "--force to run anyway") {
		t.Errorf("err = %v", err)
	}
	if _, err := CheckSweepCost(many, true); err != nil {
		t.Errorf("forced: %v", err)
	}
	if d := EstimateRealTime(s, 0); d <= 0 || d > 24*3600e9 {
		t.Errorf("real time %s", d)
	}
}
