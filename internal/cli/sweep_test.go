package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"gopkg.in/yaml.v3"
)

const dirtyRateSweep = "../../examples/sweep-dirty-rate.yaml" // 20 scenarios

// sweepTo runs migrlab sweep with args, writing the records to a file of dir,
// and returns the file's bytes and the command's stderr.
func sweepTo(t *testing.T, dir, name string, args ...string) ([]byte, string) {
	t.Helper()
	out := filepath.Join(dir, name)
	stderr, code := runErr(t, append(append([]string{"sweep", "-q", "-o", out}, args...), dirtyRateSweep)...)
	if code != ExitOK {
		t.Fatalf("sweep %v: exit %d\n%s", args, code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b, stderr
}

// TestSweepShardsMerge: the shards of `sweep --shard i/N`, concatenated, are
// the whole sweep's file; report --merge puts them in order whatever order
// they are given in, leaves out a repeated one and refuses a missing one;
// report on an incomplete set warns which scenarios lack records.
func TestSweepShardsMerge(t *testing.T) {
	dir := t.TempDir()
	whole, _ := sweepTo(t, dir, "whole.jsonl")
	if n := bytes.Count(whole, []byte("\n")); n != 60 {
		t.Fatalf("%d records, want 20 scenarios x 3 techniques", n)
	}
	var cat []byte
	var shards []string
	for i := range 3 {
		b, _ := sweepTo(t, dir, fmt.Sprintf("shard-%d.jsonl", i), "--shard", fmt.Sprintf("%d/3", i))
		cat = append(cat, b...)
		shards = append(shards, filepath.Join(dir, fmt.Sprintf("shard-%d.jsonl", i)))
	}
	if !bytes.Equal(cat, whole) {
		t.Fatal("the shards concatenated differ from the whole sweep")
	}
	merged := filepath.Join(dir, "merged.jsonl")
	stderr, code := runErr(t, "report", "--merge", merged, shards[2], shards[0], shards[1], shards[0])
	if code != ExitOK {
		t.Fatalf("merge: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(merged); !bytes.Equal(b, whole) {
		t.Error("the merged file differs from the whole sweep")
	}
	if !strings.Contains(stderr, shards[0]+" repeats another file") || !strings.Contains(stderr, "merged 3 shard file(s) of sweep dirty-rate") ||
		!strings.Contains(stderr, "20 scenarios, 60 records") {
		t.Errorf("merge said:\n%s", stderr)
	}
	stderr, code = runErr(t, "report", "--merge", filepath.Join(dir, "partial.jsonl"), shards[0], shards[2])
	if code != ExitUsage || !strings.Contains(stderr, "scenarios 6-12 missing") {
		t.Errorf("merge without shard 1/3: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "partial.jsonl")); !os.IsNotExist(err) {
		t.Errorf("a refused merge left a file: %v", err)
	}
	stderr, code = runErr(t, "report", shards[0], shards[2], shards[2])
	if code != ExitOK || !strings.Contains(stderr, "7 of its 20 scenarios have no record (6-12)") ||
		!strings.Contains(stderr, "21 duplicate record(s)") {
		t.Errorf("report of shards 0 and 2 (2 twice): exit %d\n%s", code, stderr)
	}
}

// TestSweepShardFromEnv: --shards N takes the index from a Kubernetes
// Indexed Job's or a Slurm job array's variable.
func TestSweepShardFromEnv(t *testing.T) {
	dir := t.TempDir()
	want, _ := sweepTo(t, dir, "want.jsonl", "--shard", "1/4")
	for _, name := range models.ShardEnv {
		t.Setenv(name, "")
	}
	for _, name := range models.ShardEnv {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, "1")
			got, _ := sweepTo(t, dir, name+".jsonl", "--shards", "4")
			if !bytes.Equal(got, want) {
				t.Errorf("%s=1 --shards 4: not shard 1/4's records", name)
			}
		})
	}
	for _, c := range []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"--shards", "4"}, "no index"},
		{"4", []string{"--shards", "4"}, "between 0 and 3"},
		{"x", []string{"--shards", "4"}, "not a whole number"},
		{"", []string{"--shard", "4/4"}, "between 0 and 3"},
		{"", []string{"--shard", "1"}, "want i/N"},
		{"", []string{"--shard", "0/2", "--shards", "2"}, "not both"},
	} {
		t.Setenv(models.ShardEnv[1], c.env)
		stderr, code := runErr(t, append(append([]string{"sweep", "-q", "-o", ""}, c.args...), dirtyRateSweep)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%s=%q %v: exit %d, want %d and %q\n%s", models.ShardEnv[1], c.env, c.args, code, ExitUsage, c.want, stderr)
		}
	}
}

// TestProgressLine: the progress line shows the rate so far and the time
// left at that rate, and no ETA once done.
func TestProgressLine(t *testing.T) {
	p := &progress{what: "scenarios", total: 10000}
	for _, c := range []struct {
		n     int64
		el    time.Duration
		final bool
		want  string
	}{
		{0, 0, false, "[>                             ] 0/10000 scenarios  0s"},
		{2500, 2 * time.Second, false, "[=======>                      ] 2500/10000 scenarios  2s  1.25k scenarios/s  ETA 6s"},
		{10, 4 * time.Second, false, "] 10/10000 scenarios  4s  2.5 scenarios/s  ETA 1h7m0s"},
		{10000, 8 * time.Second, true, "] 10000/10000 scenarios  8s  1.25k scenarios/s"},
	} {
		got := p.line(c.n, c.el, c.final)
		if !strings.HasSuffix(got, c.want) && got != c.want {
			t.Errorf("line(%d, %s) = %q, want it to end %q", c.n, c.el, got, c.want)
		}
	}
}

// TestShardingExamples: the Kubernetes Indexed Job and the Slurm array of
// examples/sharding run as many shards as they have indices, and their
// sweep command runs as written (the sweep file and output directory aside).
func TestShardingExamples(t *testing.T) {
	b, err := os.ReadFile("../../examples/sharding/sweep-k8s-indexed-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Template       struct {
				Spec struct {
					Containers []struct{ Args []string }
				}
			}
		}
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	if job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("not an Indexed Job of one container: %+v", job)
	}
	dir := t.TempDir()
	args := job.Spec.Template.Spec.Containers[0].Args
	if !slices.Contains(args, fmt.Sprintf("--shards=%d", job.Spec.Completions)) {
		t.Errorf("the Job has %d completions, its sweep %v", job.Spec.Completions, args)
	}
	for i, a := range args {
		a = strings.ReplaceAll(a, "$(JOB_COMPLETION_INDEX)", "3") // as Kubernetes expands it
		a = strings.Replace(a, "/out/", dir+"/", 1)
		args[i] = strings.Replace(a, "/sweep/sweep.yaml", dirtyRateSweep, 1)
	}
	t.Setenv(models.ShardEnv[1], "")
	t.Setenv(models.ShardEnv[0], "3")
	if stderr, code := runErr(t, args...); code != ExitOK {
		t.Fatalf("%v: exit %d\n%s", args, code, stderr)
	}
	want, _ := sweepTo(t, dir, "want.jsonl", "--shard", fmt.Sprintf("3/%d", job.Spec.Completions))
	if got, _ := os.ReadFile(filepath.Join(dir, "shard-3.jsonl")); !bytes.Equal(got, want) {
		t.Errorf("the Job's index 3 did not write shard 3's records")
	}

	sh, err := os.ReadFile("../../examples/sharding/sweep-slurm-array.sh")
	if err != nil {
		t.Fatal(err)
	}
	array := regexp.MustCompile(`(?m)^#SBATCH --array=0-(\d+)$`).FindSubmatch(sh)
	shards := regexp.MustCompile(`(?m)^exec migrlab sweep .*--shards=(\d+) `).FindSubmatch(sh)
	if array == nil || shards == nil {
		t.Fatal("the Slurm script has no --array=0-N line or no exec migrlab sweep --shards=N line")
	}
	if last, _ := strconv.Atoi(string(array[1])); fmt.Sprint(last+1) != string(shards[1]) {
		t.Errorf("the array has indices 0-%s, the sweep --shards=%s", array[1], shards[1])
	}
}

// failAfter fails every write after the first n bytes.
type failAfter struct {
	bytes.Buffer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.Len()+len(p) > f.n {
		return 0, fmt.Errorf("disk full")
	}
	return f.Buffer.Write(p)
}

// TestAsyncWriter: the bytes arrive whole and in order across buffers, and a
// failed write is returned by a later Write and by Close.
func TestAsyncWriter(t *testing.T) {
	var want, got bytes.Buffer
	a := newAsyncWriter(&got, 3, 100)
	for i := range 500 {
		line := fmt.Sprintf("%d:%s\n", i, strings.Repeat("x", i%250))
		want.WriteString(line)
		if _, err := a.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("close: %v; %d bytes arrived, %d written", err, got.Len(), want.Len())
	}
	f := &failAfter{n: 1000}
	a = newAsyncWriter(f, 2, 100)
	var err error
	for i := 0; i < 1000 && err == nil; i++ {
		_, err = a.Write([]byte(strings.Repeat("y", 50)))
	}
	if cerr := a.Close(); err == nil || cerr == nil || !strings.Contains(cerr.Error(), "disk full") || f.Len() != 1000 {
		t.Fatalf("write error %v, close %v, %d bytes kept", err, cerr, f.Len())
	}
}
