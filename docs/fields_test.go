package docs

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"gopkg.in/yaml.v3"
)

// field is what docs/scenario.md says about one scenario field beyond what
// the code tells: the field's path, type and default come from models; the
// valid range in words is checked by probing the parser with values it must
// accept (ok) and refuse with an error that names the field (bad).
type field struct {
	path    string // YAML path; list elements as []
	valid   string // the valid values, in words
	meaning string
	ok, bad []string
	// pages: the default is this many pages (checked at two page sizes).
	pages int
	// unless: the default holds only while this other field is unset (set
	// to unlessValue, the default is zero).
	unless, unlessValue string
}

// required are the fields a scenario must set.
var required = []string{"name", "memory.size"}

// minimal is the smallest valid scenario: every other field takes its default.
const minimal = "name: x\nmemory: {size: 1GiB}\nnetwork: {bandwidth: 1Gbit/s}\n"

// probeBase is a valid scenario with every field set, the one the models'
// field tests use; the probes replace one field of it at a time.
var probeBase = func() string {
	b, err := os.ReadFile("../models/testdata/every-field.yaml")
	if err != nil {
		panic(err)
	}
	return string(b)
}()

var costRange = []string{"0", "1.5s"}
var costBad = []string{"-1ms", "25h"}

// scenarioFields documents every field of a scenario, in table order.
var scenarioFields = []field{
	{path: "name", valid: "not empty, at most 1024 characters",
		meaning: "Names the scenario in records, tables and file names.",
		ok:      []string{"x"}, bad: []string{`""`, strings.Repeat("n", 1025)}},
	{path: "techniques", valid: "one or more of `cold`, `precopy`, `migrror`, `postcopy`, each once",
		meaning: "The techniques to run. `migrlab run` and `compare` skip `postcopy` (simulator only).",
		ok:      []string{"[postcopy]", "[pre-copy, cold]"}, bad: []string{"[teleport]", "[cold, cold]"}},
	{path: "memory.size", valid: "one page to 2^32 pages",
		meaning: "The container's resident memory; the first full round sends all of it (a growing one's, what it grows to: `memory.initial`).",
		ok:      []string{"2GiB"}, bad: []string{"0", "-1GiB", "1KiB"}},
	{path: "memory.page_size", valid: "1B to 1GiB",
		meaning: "The unit of dirtying and transfer (4 KiB on x86-64; the real backend always has 4 KiB pages).",
		ok:      []string{"8KiB", "0"}, bad: []string{"-4KiB", "2GiB"}},
	{path: "memory.initial", valid: "0 (without `memory.growth`) to `memory.size`",
		meaning: "A container still growing (a dataset filling): its resident memory when the migration starts, which a cold dump and the first full round send; `memory.size` is what it grows to. 0: it does not grow. `migrlab profile` measures it at the age of its `--warmup`; the synthetic workload cannot grow.",
		ok:      []string{"600MiB"}, bad: []string{"-1MiB", "2GiB"}},
	{path: "memory.growth[].after", valid: "above 0, increasing; at most 256 points",
		meaning: "A time after the migration started (with `memory.initial`), at the workload's pace (under a `rate_trace` it passes as the writes do). Between points the memory grows linearly; after the last it stays; a frozen container stops growing. The pages it adds are dirty in the round they arrive in.",
		ok:      []string{"15s"}, bad: []string{"0s", "-1s"}},
	{path: "memory.growth[].bytes", valid: "`memory.initial` to `memory.size`, not below the previous point's",
		meaning: "The resident memory at `after`.",
		ok:      []string{"800MiB"}, bad: []string{"256MiB", "2GiB"}},
	{path: "memory.marks[].after", valid: "above 0, increasing; at most 256 marks",
		meaning: "A time after the migration started, at the workload's pace (as `memory.growth`), at which the kernel marked a mapping dirty whole (grown or merged: [profile.md](profile.md#mappings-marked-dirty-whole)); `migrlab profile` measures them.",
		ok:      []string{"5s"}, bad: []string{"0s", "-1s"}},
	{path: "memory.marks[].bytes", valid: "above 0, at most `memory.size`",
		meaning: "The memory the marked mappings held: the round spanning `after` sends it, in union with what was written (the largest mark within a round).",
		ok:      []string{"300MiB"}, bad: []string{"0", "2GiB"}},
	{path: "memory.mark_spread", valid: "0 or above",
		meaning: "How uncertain each mark's time is: it falls anywhere within `mark_spread` centred on its `after`, and a round sends the expectation of the largest mark that falls within it ([profile.md](profile.md#mappings-marked-dirty-whole)). 0: the median gap between consecutive marks, the first counted from the migration's start; `1ms` places each exactly.",
		ok:      []string{"4s", "0s"}, bad: []string{"-1s"}},
	{path: "memory.check_touch", valid: "0 to `memory.size`",
		meaning: "What an app's check (`app.check.exec`, run right before the freeze) writes when the container holds `memory.size`: a live migration's final round sends it, less what a growing container has yet to add (`memory.initial`, `memory.growth`), in union with what the load dirtied since the round before; where a mark (`memory.marks`) falls in that round too, the larger of the two, as the check reads the data the marked mapping holds; a cold dump sends everything anyway. `migrlab profile` measures it ([profile.md](profile.md#what-the-check-writes)). 0: the check writes nothing.",
		ok:      []string{"5MiB", "0"}, bad: []string{"-1MiB", "2GiB"}},
	{path: "workload.dirty_rate", valid: ">= 0",
		meaning: "Page writes per second times the page size.",
		ok:      []string{"0", "1GB/s"}, bad: []string{"-1MB/s"}},
	{path: "workload.wws", valid: "0 to `memory.size`",
		meaning: "The writable working set: the pages the workload writes to. 0: all of memory.",
		ok:      []string{"1MiB", "1020MiB"}, bad: []string{"-1", "2GiB"}},
	{path: "workload.hot_fraction", valid: "0 <= x < 1",
		meaning: "The share of the WWS that is hot. 0: no hot/cold split.",
		ok:      []string{"0", "0.99"}, bad: []string{"1", "-0.1"}},
	{path: "workload.hot_share", valid: "0 to 1; > 0 when `hot_fraction` > 0",
		meaning: "The share of the writes that go to the hot pages.",
		ok:      []string{"1", "0.5"}, bad: []string{"1.5", "0"}},
	{path: "workload.rate_trace.points[].at", valid: "the first point at 0, then strictly increasing",
		meaning: "From this time on (since the migration started), `dirty_rate` is multiplied by `factor`.",
		ok:      []string{"0s"}, bad: []string{"1s"}},
	{path: "workload.rate_trace.points[].factor", valid: "0 to 1e6",
		meaning: "The multiplier of `dirty_rate` from `at` on.",
		ok:      []string{"0", "1e6"}, bad: []string{"-1", "2e6"}},
	{path: "workload.rate_trace.until", valid: "0, or at least the last point's `at`",
		meaning: "How long the trace is valid; a run that outlasts it is refused. 0: the last factor holds forever.",
		ok:      []string{"0", "5s"}, bad: []string{"-1s", "1s"}},
	{path: "workload.curve.points[].window", valid: "above 0, increasing; at most 256 points",
		meaning: "A measured dirtying curve (`migrlab profile` writes it): the simulator takes the dirty memory of a round from it instead of from `dirty_rate`, `wws` and the hot split, which extend it beyond its last window. Linear between points, from 0 up to the first; a window counts `rate_trace`'s factor as the writes do. The closed-form model does not take a curve.",
		ok:      []string{"50ms"}, bad: []string{"0s", "-1s"}},
	{path: "workload.curve.points[].bytes", valid: "0 to `memory.size`, not below the previous point's",
		meaning: "The distinct bytes dirtied within `window`.",
		ok:      []string{"1MiB"}, bad: []string{"-1", "2GiB"}},
	{path: "workload.curve.growing[].window", valid: "above 0, increasing; at most 256 points; needs `points`",
		meaning: "What a growing container (`memory.growth`) dirties beyond the pages it adds, measured while it grew (`migrlab profile` writes it for a container that filled while profiled): while it grows, a round's dirty memory is this plus what it added, at least `points`'; without it, `points`' or what it added, whichever is more. Linear between points, from 0 up to the first, the last beyond it.",
		ok:      []string{"50ms"}, bad: []string{"0s", "-1s"}},
	{path: "workload.curve.growing[].bytes", valid: "0 to `memory.size`, not below the previous point's",
		meaning: "The distinct bytes dirtied within `window`, less those the container added.",
		ok:      []string{"1MiB"}, bad: []string{"-1", "2GiB"}},
	{path: "workload.runtime.memory", valid: "0 to `memory.size` minus the WWS",
		meaning: "The container runtime's own memory beside the WWS (part of `memory.size`). A calibration fills in the runtime.",
		ok:      []string{"1MiB", "768MiB"}, bad: []string{"-1", "769MiB"}},
	{path: "workload.runtime.hot", valid: "0 to `runtime.memory`",
		meaning: "The part of the runtime's memory that is dirty in every round, however short.",
		ok:      []string{"0", "1MiB"}, bad: []string{"-1", "5MiB"}},
	{path: "workload.runtime.rate", valid: ">= 0; > 0 needs a page of `runtime.memory` beyond `hot`",
		meaning: "The runtime's page writes per second times the page size, spread uniformly over its memory beyond `hot`, whatever `dirty_rate` and `rate_trace` say.",
		ok:      []string{"0", "10MB/s"}, bad: []string{"-1"}},
	{path: "workload.runtime.fresh", valid: "true or false; true needs a page of `memory.size` beyond the WWS and `hot`",
		meaning: "Every runtime write dirties a page not dirty yet, up to the memory beside the WWS, instead of filling `runtime.memory`: the count grows with the window (an allocator handing out memory its collector gave back). Calibrations since 2026-12-05 set it.",
		ok:      []string{"true", "false"}, bad: []string{"maybe"}},
	{path: "app.image", valid: "an image name; unset: the synthetic workload",
		meaning: "Runs your own container on a real testbed instead of migrlab's synthetic workload (docs/real.md, Your own container); a host that lacks it loads `archive`, or without one pulls it from its registry. The simulator models `memory` and `workload` (`migrlab profile` measures them).",
		ok:      []string{"docker.io/library/redis:7"}, bad: []string{`"no spaces"`}},
	{path: "app.archive", valid: "a file path",
		meaning: "An image archive (`podman save`, docker-archive) loaded on every host that lacks the image (same archive everywhere: same image ID, which a restore needs).",
		ok:      []string{"redis.tar"}, bad: []string{`"a\nb"`}},
	{path: "app.args", valid: "a list of strings",
		meaning: "The container's command, replacing the image's.",
		ok:      []string{"[]", "[redis-server]"}, bad: []string{"x"}},
	{path: "app.env", valid: "a mapping of variable names to strings",
		meaning: "The container's environment.",
		ok:      []string{"{}", "{A_1: x}"}, bad: []string{"{1A: x}"}},
	{path: "app.port", valid: "1 to 65535; required with `image`",
		meaning: "The service's TCP port inside the container, published on every host at the run's host port (17000): probes, load and check reach it at the host's private address.",
		ok:      []string{"80"}, bad: []string{"0", "70000"}},
	{path: "app.probe.tcp", valid: "`true` or `false`",
		meaning: "Probe with a TCP connect (the default when no probe kind is given). Every kind given must pass for an answer; the probe monitor runs on the source host over the private link.",
		ok:      []string{"true"}, bad: []string{"maybe"}},
	{path: "app.probe.send", valid: "a string; needs `tcp` or `udp`",
		meaning: "Written after the TCP connect, or sent as one UDP datagram, in the app's own protocol (for example `\"PING\\r\\n\"`).",
		ok:      []string{`"HELLO\n"`}, bad: []string{"[a]"}},
	{path: "app.probe.expect", valid: "a string; needs `send`",
		meaning: "Must appear in what the service answers to `send`.",
		ok:      []string{`"OK"`}, bad: []string{"[a]"}},
	{path: "app.probe.udp", valid: "`true` or `false`; needs `send`, not with `tcp`",
		meaning: "Probe with a UDP request and answer: `send` as one datagram to `app.port` (published for UDP too), one answer datagram (holding `expect` when set) within the probe's 2 s.",
		ok:      []string{"false"}, bad: []string{"true", "maybe"}},
	{path: "app.probe.http.path", valid: "starts with `/`",
		meaning: "Probe with an HTTP GET of this path.",
		ok:      []string{"/"}, bad: []string{"health"}},
	{path: "app.probe.http.status", valid: "100 to 599; needs `path`",
		meaning: "The status the GET must answer (default 200 with a path).",
		ok:      []string{"200"}, bad: []string{"99", "600"}},
	{path: "app.probe.exec", valid: "a shell command",
		meaning: "Probe by running this command on the source host (`sh -c`, with `$ADDR`, `$HOST`, `$PORT` of the service); exit status 0 is an answer.",
		ok:      []string{`"nc -z $HOST $PORT"`}, bad: []string{`" "`}},
	{path: "app.load.exec", valid: "a shell command",
		meaning: "Runs on the source host for the whole migration against `$ADDR` (`$HOST`, `$PORT`): a relay of the agent that follows the service to the target. It is paused (and its connections closed) from just before the final dump until the target passed its check.",
		ok:      []string{`"while :; do sleep 1; done"`}, bad: []string{`" "`}},
	{path: "app.check.exec", valid: "a shell command",
		meaning: "Prints a digest of the service's state (run on the source host against `$ADDR`); run before the freeze and after the restore, and the two must be equal, or the migration failed and is rolled back. What it writes before the freeze goes into the final dump (memcached's GET records each item's access time, so a check that gets every key dirties the whole cache; Redis's `DEBUG DIGEST` only reads): prefer a check that only reads; `migrlab profile` measures what it writes (`memory.check_touch`).",
		ok:      []string{`"echo same"`}, bad: []string{`" "`}},
	{path: "network.bandwidth", valid: "> 0, at most 1e15 B/s",
		meaning: "The link's capacity: frozen rounds and the post-copy push go at it. Leave `network` out to migrate over a real testbed's own link (the simulator then needs a calibration, which gives it that link). On a real testbed a given network is enforced on the private link with tc for each migration (docs/real.md, Link shaping).",
		ok:      []string{"1e15", "2MB/s"}, bad: []string{"-1MB/s", "1e18"}},
	{path: "network.latency", valid: "0 to 1h",
		meaning: "One-way latency added to every transfer.",
		ok:      []string{"0", "1s"}, bad: []string{"-5ms", "2h"}},
	{path: "network.jitter", valid: "0 to 1h",
		meaning: "Variation of the latency on a real testbed (netem's jitter: each packet within latency +- jitter); the simulator uses `latency`.",
		ok:      []string{"0", "5ms"}, bad: []string{"-1ms", "2h"}},
	{path: "network.loss", valid: "0% up to (not including) 100%, with a % sign",
		meaning: "Packets dropped in each direction. The simulator caps the bandwidth at what TCP sustains under the loss (Mathis et al.: MSS/RTT x sqrt(1.5/loss)).",
		ok:      []string{"0", "0.5%"}, bad: []string{"-1%", "100%", "0.5"}},
	{path: "network.bandwidth_trace.points[].at", valid: "the first point at 0, then strictly increasing",
		meaning: "From this time on, `bandwidth` is multiplied by `factor`.",
		ok:      []string{"0s"}, bad: []string{"1s"}},
	{path: "network.bandwidth_trace.points[].factor", valid: "0 to 1e6; the last one > 0",
		meaning: "The multiplier of the bandwidth from `at` on (0: the link stalls).",
		ok:      []string{"0", "1e6"}, bad: []string{"-1", "2e6"}},
	{path: "network.bandwidth_trace.until", valid: "0, or at least the last point's `at`",
		meaning: "How long the trace is valid, as for `rate_trace`.",
		ok:      []string{"0", "2s"}, bad: []string{"-1s", "1s"}},
	{path: "network.live_bandwidth", valid: "0, or > 0 up to 1e15 B/s",
		meaning: "The rate of the live rounds' transfers, while the workload runs beside them. 0: `bandwidth`. On a shared link a live transfer gets its fair share scaled by `live_bandwidth / bandwidth`.",
		ok:      []string{"0", "1MB/s"}, bad: []string{"-1"}},
	{path: "costs.freeze", valid: "0 to 24h",
		meaning: "Freezing the workload, in every frozen dump.", ok: costRange, bad: costBad},
	{path: "costs.dump_per_page", valid: "0 to 24h",
		meaning: "Dump time per page of a live round.", ok: costRange[:1], bad: costBad},
	{path: "costs.final_dump_per_page", valid: "0 to 24h",
		meaning: "Dump time per page of a frozen round (Podman also exports the images into an archive). 0: `dump_per_page`.",
		ok:      costRange[:1], bad: costBad},
	{path: "costs.round_setup", valid: "0 to 24h",
		meaning: "The fixed cost of every dump, live or frozen: runc and CRIU start, seize the tree, inject the parasite (on Podman also the agent's inspect and, between pre-copy rounds, the dirty-memory scan).",
		ok:      costRange, bad: costBad},
	{path: "costs.final_setup", valid: "0 to 24h",
		meaning: "What a frozen dump costs beyond `round_setup` and `freeze`: on Podman, the checkpoint's bookkeeping and archive export.",
		ok:      costRange, bad: costBad},
	{path: "costs.chained_final_setup", valid: "0 to 24h",
		meaning: "`final_setup` of a frozen dump that follows live rounds (its images have parents). 0: `final_setup`.",
		ok:      costRange, bad: costBad},
	{path: "costs.transfer_setup", valid: "0 to 24h",
		meaning: "The fixed cost of every transfer (connection, handshake), before its first byte.",
		ok:      costRange, bad: costBad},
	{path: "costs.restore_base", valid: "0 to 24h",
		meaning: "The fixed cost of the restore on the target.", ok: costRange, bad: costBad},
	{path: "costs.chained_restore_base", valid: "0 to 24h",
		meaning: "`restore_base` of a restore from a chain of images (after live rounds). 0: `restore_base`.",
		ok:      costRange, bad: costBad},
	{path: "costs.restore_per_page", valid: "0 to 24h",
		meaning: "Restore time per page the restore loads (see `restore_all_pages`).", ok: costRange[:1], bad: costBad},
	{path: "costs.restore_all_pages", valid: "`true` or `false`",
		meaning: "The restore loads every page (CRIU restores from images); `false`: only the final round's pages (a warm mirror holds the rest in memory).",
		ok:      []string{"false"}, bad: []string{"maybe"}},
	{path: "costs.restore_per_final_page", valid: "0 to 24h",
		meaning: "Restore time per page of the final round, on top of `restore_per_page` (Podman imports the final archive before CRIU restores).",
		ok:      costRange[:1], bad: costBad},
	{path: "costs.resume", valid: "0 to 24h",
		meaning: "From the restore's end to the workload running on the target.", ok: costRange, bad: costBad},
	{path: "costs.round_overhead", valid: "0 to 1TiB",
		meaning: "Bytes a live round sends beyond its pages (CRIU's other images).",
		ok:      []string{"0", "1MiB"}, bad: []string{"-1", "2TiB"}},
	{path: "costs.final_overhead", valid: "0 to 1TiB",
		meaning: "Bytes the frozen round sends beyond its pages (Podman's archive: config, spec, CRIU's other images).",
		ok:      []string{"0", "1MiB"}, bad: []string{"-1", "2TiB"}},
	{path: "costs.dirty_scan", valid: "0 to 24h",
		meaning: "One measurement of the dirty memory. A waiting mirror sees its threshold crossed only when a measurement that began after the crossing returns. 0: it sees it at once.",
		ok:      costRange, bad: costBad},
	{path: "costs.dirty_poll_interval", valid: "0 to 24h",
		meaning: "The pause between two dirty-memory measurements of a waiting mirror.", ok: costRange, bad: costBad},
	{path: "costs.snapshot", valid: "0 to 24h",
		meaning: "From a dump's start to the instant its dirty set is taken; inside the dump's fixed cost, not added to it. 0: at the start.",
		ok:      costRange, bad: costBad},
	{path: "precopy.stop.threshold", valid: ">= 0",
		meaning: "Stop rule: stop when the pending dirty bytes are at most this (Liu's Vthd; p.haul's 64 pages).",
		ok:      []string{"0", "1MiB"}, bad: []string{"-1"}, pages: 64, unless: "precopy.stop.max_downtime", unlessValue: "30ms"},
	{path: "precopy.stop.max_downtime", valid: ">= 0",
		meaning: "Stop rule: stop when the pending bytes at the last round's measured bandwidth take at most this (QEMU, SimGrid). 0: off.",
		ok:      []string{"0", "1s"}, bad: []string{"-1s"}},
	{path: "precopy.stop.min_shrink", valid: "-1 < x < 1, or unset",
		meaning: "Stop rule: stop when a round is not smaller than the previous one by this fraction (p.haul's \"grew by more than 10 %\" is -0.1). Unset: off.",
		ok:      []string{"0", "-0.5"}, bad: []string{"1", "-1"}},
	{path: "precopy.stop.traffic_cap", valid: "0, or 1 to 1000",
		meaning: "Stop rule: stop when the bytes sent reach this many times `memory.size` as the scenario gives it (a calibrated prediction counts the same, though it adds the runtime's memory to the container's). 0: off.",
		ok:      []string{"0", "1000"}, bad: []string{"0.5", "1001"}},
	{path: "precopy.stop.max_rounds", valid: "1 to 10000; 0 only with `traffic_cap`",
		meaning: "Stop rule: stop after this many live rounds, the full round included.",
		ok:      []string{"1", "10000"}, bad: []string{"-1", "10001"}, unless: "precopy.stop.traffic_cap", unlessValue: "3"},
	{path: "migrror.sync_threshold", valid: "one page to `memory.size`",
		meaning: "A sync round starts when this much memory was dirtied since the previous round started.",
		ok:      []string{"4KiB", "1GiB"}, bad: []string{"1KiB", "2GiB"}, pages: 256},
	{path: "migrror.min_interval", valid: "0 to 24h",
		meaning: "The least time between the starts of two sync rounds.", ok: []string{"0", "1s"}, bad: costBad},
	{path: "migrror.trigger", valid: "0 to 24h",
		meaning: "When the migration is decided, from the start of mirroring: the workload freezes and only the last delta goes.",
		ok:      []string{"0", "1m"}, bad: []string{"-30s", "25h"}},
	{path: "postcopy.handover", valid: "0 to `memory.size`",
		meaning: "The state sent while frozen (registers, page tables, descriptors) before the workload resumes on the target.",
		ok:      []string{"4KiB", "1GiB"}, bad: []string{"-1", "2GiB"}, pages: 64},
	{path: "model", valid: "`pages` or `analytic`",
		meaning: "The simulator's memory model: `pages` counts distinct dirty pages (a page written twice in a round is sent once); `analytic` counts every dirtied byte as new, capped per round at the WWS (the closed forms' assumption).",
		ok:      []string{"analytic"}, bad: []string{"quantum"}},
	{path: "group.containers", valid: "1 to 1000",
		meaning: "How many identical containers migrate.", ok: []string{"1", "10"}, bad: []string{"-1", "1001"}},
	{path: "group.mode", valid: "`sequential` or `parallel`",
		meaning: "One container after the other, or all at once sharing the link.", ok: []string{"sequential"}, bad: []string{"sideways"}},
	{path: "repetitions", valid: "1 to 100000",
		meaning: "Runs of each technique, each with its own derived seed.", ok: []string{"1", "100000"}, bad: []string{"-1", "100001"}},
	{path: "seed", valid: "0 to 2^64-1",
		meaning: "Mixed into every derived seed, so that a whole study can be drawn again.",
		ok:      []string{"0", "18446744073709551615"}, bad: []string{"-1", "18446744073709551616"}},
}

// scenarioFieldsTable is the field table of docs/scenario.md.
func scenarioFieldsTable(t *testing.T) string {
	def := parse(t, minimal)
	var b strings.Builder
	b.WriteString("| Field | Type | Default | Valid | Meaning |\n| --- | --- | --- | --- | --- |\n")
	for _, f := range scenarioFields {
		v, ok := valueAt(reflect.ValueOf(def), f.path)
		if !ok {
			t.Errorf("%s: no such field in models.Scenario", f.path)
			continue
		}
		d := "`" + format(v) + "`"
		switch {
		case format(v) == "unset" || format(v) == "none":
			d = format(v)
		case strings.Contains(f.path, "[]") && emptyList(def, f.path):
			d = "none"
		case slices.Contains(required, f.path):
			d = "required"
		case f.pages > 0:
			d = fmt.Sprintf("%d pages (`%s` at 4KiB pages)", f.pages, format(v))
		}
		if f.unless != "" {
			d += fmt.Sprintf(", unless `%s` is set", f.unless[strings.LastIndex(f.unless, ".")+1:])
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.path, typeName(v.Type()), d, cell(f.valid), cell(f.meaning))
	}
	return b.String()
}

func parse(t *testing.T, text string) models.Scenario {
	t.Helper()
	s, err := models.ParseScenario(strings.NewReader(text))
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	return s
}

// valueAt returns the field at path (YAML names; [] for a list's first
// element, the zero value when the list is empty).
func valueAt(v reflect.Value, path string) (reflect.Value, bool) {
	for _, p := range strings.Split(path, ".") {
		elem := strings.HasSuffix(p, "[]")
		p = strings.TrimSuffix(p, "[]")
		t := v.Type()
		found := false
		for i := 0; i < t.NumField(); i++ {
			if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == p {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return v, false
		}
		if elem {
			if v.Kind() != reflect.Slice {
				return v, false
			}
			if v.Len() == 0 {
				v = reflect.Zero(v.Type().Elem())
			} else {
				v = v.Index(0)
			}
		}
	}
	return v, true
}

// emptyList reports whether the list that holds the field at path is empty.
func emptyList(s models.Scenario, path string) bool {
	list, _ := valueAt(reflect.ValueOf(s), path[:strings.Index(path, "[]")])
	return list.Len() == 0
}

// leafPaths lists the YAML paths of every leaf field of t, lists as [].
func leafPaths(t reflect.Type, prefix string) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	custom := reflect.PointerTo(t).Implements(reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem())
	switch {
	case t.Kind() == reflect.Struct && !custom:
		var out []string
		for i := 0; i < t.NumField(); i++ {
			tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" {
				continue
			}
			p := tag
			if prefix != "" {
				p = prefix + "." + tag
			}
			out = append(out, leafPaths(t.Field(i).Type, p)...)
		}
		return out
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		return leafPaths(t.Elem(), prefix+"[]")
	}
	return []string{prefix}
}

func typeName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(models.ByteSize(0)):
		return "size"
	case reflect.TypeOf(models.Rate(0)):
		return "rate"
	case reflect.TypeOf(models.Duration(0)):
		return "duration"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "integer"
	case reflect.Float64:
		return "number"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Slice:
		return "list"
	case reflect.Map:
		return "mapping"
	}
	return t.String()
}

// format writes a value as a scenario file would.
func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case models.ByteSize:
		for _, u := range []struct {
			n    int64
			name string
		}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
			if x != 0 && int64(x)%u.n == 0 {
				return fmt.Sprintf("%d%s", int64(x)/u.n, u.name)
			}
		}
		return fmt.Sprint(int64(x))
	case models.Rate:
		if x == 0 {
			return "0"
		}
		return x.String()
	case models.Duration:
		if x == 0 {
			return "0"
		}
		return x.String()
	case []string:
		if len(x) == 0 {
			return "none"
		}
		return "[" + strings.Join(x, ", ") + "]"
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "unset"
		}
		return format(v.Elem())
	}
	if v.Kind() == reflect.String && v.String() == "" || v.Kind() == reflect.Map && v.Len() == 0 {
		return "none"
	}
	return fmt.Sprint(v.Interface())
}

// TestScenarioFields checks the field reference against the code: every
// field the parser accepts is documented and no other, the required fields
// and the defaults are the code's, and the documented ranges hold at the
// probed values.
func TestScenarioFields(t *testing.T) {
	var documented []string
	for _, f := range scenarioFields {
		documented = append(documented, f.path)
	}
	code := leafPaths(reflect.TypeOf(models.Scenario{}), "")
	for _, p := range code {
		if !slices.Contains(documented, p) {
			t.Errorf("%s: a scenario field the docs do not describe; add it to scenarioFields (docs/fields_test.go), then go test ./docs/ -update", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(code, p) {
			t.Errorf("%s: documented but not a scenario field; remove it from scenarioFields", p)
		}
	}

	parse(t, minimal)
	for _, p := range required {
		if _, err := models.ParseScenario(strings.NewReader(setField(t, minimal, p, "null"))); err == nil || !strings.Contains(err.Error(), p+":") {
			t.Errorf("%s is documented as required, but a scenario without it gives %v", p, err)
		}
	}

	for _, f := range scenarioFields {
		if f.pages > 0 {
			for _, ps := range []int64{4096, 8192} {
				s := parse(t, setField(t, minimal, "memory.page_size", fmt.Sprint(ps)))
				v, _ := valueAt(reflect.ValueOf(s), f.path)
				if got := v.Int(); got != int64(f.pages)*ps {
					t.Errorf("%s: documented default %d pages, the code gives %d bytes at %d-byte pages", f.path, f.pages, got, ps)
				}
			}
		}
		if f.unless != "" {
			s := parse(t, setField(t, minimal, f.unless, f.unlessValue))
			if v, _ := valueAt(reflect.ValueOf(s), f.path); !v.IsZero() {
				t.Errorf("%s: documented as defaulting only while %s is unset, but with it set the default is %s", f.path, f.unless, format(v))
			}
		}
		path := strings.ReplaceAll(f.path, "[]", "[0]")
		for _, val := range f.ok {
			if _, err := models.ParseScenario(strings.NewReader(setField(t, probeBase, path, val))); err != nil {
				t.Errorf("%s = %s: documented as valid (%s), refused: %v", f.path, val, f.valid, err)
			}
		}
		for _, val := range f.bad {
			_, err := models.ParseScenario(strings.NewReader(setField(t, probeBase, path, val)))
			if err == nil || !strings.Contains(err.Error(), path+":") && !strings.Contains(err.Error(), path+"[") {
				t.Errorf("%s = %s: documented as invalid (%s), but the error does not name the field: %v", f.path, val, f.valid, err)
			}
		}
	}
}

// setField returns the scenario text with the value at path (dots, [i] for
// list elements) set to the YAML value, adding the field when it is missing.
func setField(t *testing.T, text, path, value string) string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
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
			fmt.Sscanf(p[j:], "[%d]", &idx)
			p = p[:j]
		}
		var next *yaml.Node
		for k := 0; k+1 < len(n.Content); k += 2 {
			if n.Content[k].Value == p {
				next = n.Content[k+1]
			}
		}
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p}, next)
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
