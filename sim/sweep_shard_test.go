package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// smallSweep is a 7 x 6 grid (42 scenarios) of the sweep-10k example's
// scenario, with repetitions and the analytic records, cheap enough for -race.
func smallSweep(tb testing.TB) models.Sweep {
	tb.Helper()
	f, err := os.Open("../examples/sweep-10k.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sw, err := models.ParseSweep(f)
	if err != nil {
		tb.Fatal(err)
	}
	sw.Base.Repetitions = 2
	every := func(v []string, k int) (out []string) {
		for i := 0; i < len(v); i += k {
			out = append(out, v[i])
		}
		return out
	}
	sw.Axes[0].Values = every(sw.Axes[0].Values, 16) // 7 bandwidths
	sw.Axes[1].Values = every(sw.Axes[1].Values, 17) // 6 dirty rates
	return sw
}

// testProvenance is the provenance sweepJSON stamps.
var testProvenance = models.Provenance{Tool: "migrlab", Version: "test", Host: map[string]string{"b": "2", "a": "1"}}

// sweepJSON runs a shard of sw on workers goroutines and returns its records
// as the sweep command writes them, and the records themselves.
func sweepJSON(tb testing.TB, sw models.Sweep, sh models.Shard, workers int) ([]byte, []models.Record) {
	tb.Helper()
	var out bytes.Buffer
	var recs []models.Record
	opts := SweepOptions{Workers: workers, Analytic: true, OmitRounds: true, Encode: true, KeepRecords: true, Provenance: testProvenance}
	err := SweepSource(context.Background(), sw.Slice(sh), opts, func(b *Batch) error {
		recs = append(recs, b.Records...)
		out.Write(b.JSON)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out.Bytes(), recs
}

// TestSweepShardUnionIsTheSweep: the shards of a grid, for several numbers
// of shards (more shards than scenarios too), concatenated in shard order,
// are byte for byte the unsharded sweep's records, whatever the workers of
// each shard; every record knows its place in the whole grid.
func TestSweepShardUnionIsTheSweep(t *testing.T) {
	sw := smallSweep(t)
	if sw.Size() != 42 {
		t.Fatalf("grid of %d scenarios, want 42", sw.Size())
	}
	whole, recs := sweepJSON(t, sw, models.Whole, 2)
	// 42 scenarios x 3 techniques x (2 repetitions + 1 analytic record).
	if len(recs) != 42*3*3 || bytes.Count(whole, []byte("\n")) != len(recs) {
		t.Fatalf("%d records, %d lines; want %d", len(recs), bytes.Count(whole, []byte("\n")), 42*9)
	}
	id := sw.ID()
	for k, r := range recs {
		if r.Sweep == nil || r.Sweep.Index != k/9 || r.Sweep.Size != 42 || r.Sweep.ID != id || r.Sweep.Name != "perf-10k" {
			t.Fatalf("record %d: sweep %+v, want index %d of 42, id %s", k, r.Sweep, k/9, id)
		}
	}
	for _, n := range []int{1, 2, 3, 5, 8, 42, 64} {
		var union []byte
		for i := range n {
			sh := models.Shard{Index: i, Count: n}
			b, rs := sweepJSON(t, sw, sh, 1+i%3)
			lo, hi := sh.Range(42)
			if len(rs) != (hi-lo)*9 {
				t.Fatalf("shard %s: %d records, want %d", sh, len(rs), (hi-lo)*9)
			}
			for _, r := range rs {
				if r.Sweep.Index < lo || r.Sweep.Index >= hi {
					t.Fatalf("shard %s: a record of scenario %d, outside [%d, %d)", sh, r.Sweep.Index, lo, hi)
				}
			}
			union = append(union, b...)
		}
		if !bytes.Equal(union, whole) {
			t.Errorf("%d shards: the union (%d bytes) differs from the sweep (%d bytes) at byte %d", n, len(union), len(whole), firstDifference(union, whole))
		}
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestSweepWorkersSameRecords: 1, 2 and 8 workers give the same records in
// the same order, and the workers' JSON is what models.RecordWriter writes.
func TestSweepWorkersSameRecords(t *testing.T) {
	sw := smallSweep(t)
	want, wantRecs := sweepJSON(t, sw, models.Whole, 1)
	var enc bytes.Buffer
	rw := models.NewRecordWriter(&enc)
	for _, r := range wantRecs {
		if err := rw.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(enc.Bytes(), want) {
		t.Fatalf("the workers' JSON differs from RecordWriter's at byte %d", firstDifference(enc.Bytes(), want))
	}
	techs := []string{models.Cold, models.PreCopy, models.MiGrror}
	for k, r := range wantRecs {
		tech, i := techs[k%9/3], k%3
		backend, rep := models.BackendSim, i
		if i == 2 {
			backend, rep = models.BackendAnalytic, 0
		}
		if r.Sweep.Index != k/9 || r.Technique != tech || r.Backend != backend || r.Repetition != rep || r.Error != "" {
			t.Fatalf("record %d is %d/%s/%s/%d (%s), want %d/%s/%s/%d", k, r.Sweep.Index, r.Technique, r.Backend, r.Repetition, r.Error,
				k/9, tech, backend, rep)
		}
	}
	for _, workers := range []int{2, 8} {
		got, recs := sweepJSON(t, sw, models.Whole, workers)
		if !bytes.Equal(got, want) {
			t.Errorf("%d workers: the JSON differs from 1 worker's at byte %d", workers, firstDifference(got, want))
		}
		if !reflect.DeepEqual(recs, wantRecs) {
			t.Errorf("%d workers: the records differ from 1 worker's", workers)
		}
	}
}

// TestOrderedWindow: results come in index order, and no worker ever runs
// more than the window ahead of the emitter (memory is bounded by it).
func TestOrderedWindow(t *testing.T) {
	before := runtime.NumGoroutine()
	const n, workers = 5000, 4
	w := windowPerWorker * workers
	var emitted, ahead atomic.Int64
	var order []int
	err := ordered(context.Background(), n, workers, func(_ context.Context, _, i int, b *Batch, buf *bytes.Buffer) {
		if d := int64(i) - emitted.Load(); d > ahead.Load() {
			ahead.Store(d) // racy max, good enough: d only grows past w on a bug
		}
		if i%97 == 0 {
			runtime.Gosched()
		}
		buf.Reset()
		fmt.Fprintf(buf, "%d\n", i)
		*b = Batch{Index: i, JSON: buf.Bytes()}
	}, func(b *Batch) error {
		if string(b.JSON) != fmt.Sprintf("%d\n", b.Index) {
			t.Errorf("batch %d holds %q", b.Index, b.JSON) // not Fatal: emit runs on a worker
		}
		order = append(order, b.Index)
		emitted.Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("emitted %d at position %d", v, i)
		}
	}
	if len(order) != n || ahead.Load() >= int64(w) {
		t.Fatalf("%d emitted; a worker ran %d ahead, window %d", len(order), ahead.Load(), w)
	}
	stop := errors.New("stop")
	err = ordered(context.Background(), n, workers, func(_ context.Context, _, i int, b *Batch, _ *bytes.Buffer) { b.Index = i }, func(b *Batch) error {
		if b.Index == 100 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err %v, want %v", err, stop)
	}
	goroutinesSettle(t, before)
}

// TestCheckSource: the estimate is CheckSweepCost's over the expanded grid,
// the same for any number of workers, and the first invalid scenario in
// index order is the one named.
func TestCheckSource(t *testing.T) {
	sw := smallSweep(t)
	var all []models.Scenario
	for i := range sw.Size() {
		s, err := sw.Scenario(i)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, s)
	}
	want, _ := models.CheckSweepCost(all, false)
	var first models.SweepCost
	for _, workers := range []int{1, 3} {
		c, err := CheckSource(context.Background(), sw.Slice(models.Whole), workers)
		if err != nil {
			t.Fatal(err)
		}
		if c.Scenarios != 42 || c.Events < want*(1-1e-12) || c.Events > want*(1+1e-12) {
			t.Fatalf("%d workers: %d scenarios, %g events; want 42, %g", workers, c.Scenarios, c.Events, want)
		}
		if workers == 1 {
			first = c
		} else if c != first {
			t.Errorf("%d workers: %+v, 1 worker: %+v", workers, c, first)
		}
	}
	bad := sw
	bad.Axes = append([]models.Axis(nil), sw.Axes...)
	bad.Axes[1] = models.Axis{Param: sw.Axes[1].Param, Values: []string{"1MB/s", "-5MB/s", "-6MB/s"}}
	_, err := CheckSource(context.Background(), bad.Slice(models.Whole), 4)
	if err == nil || !strings.Contains(err.Error(), "dirty_rate=-5MB/s") {
		t.Fatalf("err %v, want the first invalid scenario (dirty_rate=-5MB/s)", err)
	}
}

// BenchmarkSweepEmitter: the emitter path alone, the part of a sweep that is
// serial: workers that make a scenario's three records' worth of JSON (about
// 6 KB) at no cost, and an emitter that writes them through a buffer. Its
// ns/scenario, against the 25-80 us a scenario costs to simulate, is the
// emitter's share of a sweep.
func BenchmarkSweepEmitter(b *testing.B) {
	line := bytes.Repeat([]byte("x"), 2047)
	line = append(line, '\n')
	const n = 100000
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				var out bytes.Buffer
				err := ordered(context.Background(), n, workers, func(_ context.Context, _, i int, bt *Batch, buf *bytes.Buffer) {
					buf.Reset()
					for range 3 {
						buf.Write(line)
					}
					*bt = Batch{Index: i, JSON: buf.Bytes(), N: 3}
				}, func(bt *Batch) error {
					out.Reset() // a sink that costs a copy, like a buffered file
					out.Write(bt.JSON)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/scenario")
		})
	}
}

// BenchmarkSweepEncoded: the sweep command's path over the 42-scenario grid:
// simulate, build and encode the records on the workers, write them in order.
func BenchmarkSweepEncoded(b *testing.B) {
	sw := smallSweep(b)
	for b.Loop() {
		sweepJSON(b, sw, models.Whole, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/42, "ns/scenario")
}
