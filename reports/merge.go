package reports

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"

	"github.com/migrlab/migrlab/models"
)

// ShardInput is one file of a sweep shard's records, opened once to be
// checked and once to be copied.
type ShardInput struct {
	// Name names the file in messages.
	Name string
	// Open opens the file from its start.
	Open func() (io.ReadCloser, error)
}

// MergeResult says what MergeShards merged.
type MergeResult struct {
	// Sweep names the sweep (Index unused).
	Sweep models.SweepRef
	// Files is the number of files merged; Repeated names those left out
	// because they repeat another file; Empty those that hold no record (a
	// shard of more shards than scenarios).
	Files    int
	Repeated []string
	Empty    []string
	// Scenarios and Records merged.
	Scenarios, Records int
}

// ErrShards marks shard files that do not make a whole sweep (errors.Is):
// a scenario missing, shards that overlap, records of several sweeps or
// records outside sweeps.
var ErrShards = errors.New("shards do not make one whole sweep")

// shardErr is an error that errors.Is reports as ErrShards.
type shardErr struct{ msg string }

func (e shardErr) Error() string        { return e.msg }
func (e shardErr) Is(target error) bool { return target == ErrShards }

// shardFile is what a first pass learns of a file.
type shardFile struct {
	in          ShardInput
	ref         *models.SweepRef // the first record's
	first, last int
	scenarios   int
	records     int
	gaps        [][2]int
	sum         uint64
}

// MergeShards writes the records of the shard files of one sweep to w in
// the grid's order, each file's bytes as they are: files are put in the order
// of their first scenario, so the output is byte for byte what the unsharded
// sweep writes, whatever order the files are given in. It reads each file
// twice and holds none. It refuses (ErrShards), before writing anything,
// files that miss scenarios of the grid, that overlap without being the same,
// that hold records of several sweeps or records outside a sweep; a file
// whose bytes repeat another's (a shard given twice) is left out and named
// in the result.
func MergeShards(w io.Writer, inputs []ShardInput) (MergeResult, error) {
	var res MergeResult
	var files []*shardFile
	for _, in := range inputs {
		f, err := scanShard(in)
		if err != nil {
			return res, err
		}
		if f.records == 0 {
			res.Empty = append(res.Empty, in.Name)
			continue
		}
		if len(files) > 0 && (f.ref.ID != files[0].ref.ID || f.ref.Size != files[0].ref.Size) {
			a, b := files[0].ref, f.ref
			return res, shardErr{fmt.Sprintf("merge: %s holds records of sweep %s (id %s, %d scenarios), %s of sweep %s (id %s, %d scenarios): "+
				"merge one sweep's shards at a time (a different id means the sweep file changed between the shards)",
				files[0].in.Name, a.Name, a.ID, a.Size, in.Name, b.Name, b.ID, b.Size)}
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return res, shardErr{"merge: the files hold no records"}
	}
	slices.SortStableFunc(files, func(a, b *shardFile) int { return a.first - b.first })
	ref := *files[0].ref
	res.Sweep = models.SweepRef{Name: ref.Name, ID: ref.ID, Size: ref.Size}
	var problems []string
	missing := func(lo, hi int) {
		what := "scenarios"
		if lo == hi {
			what = "scenario"
		}
		problems = append(problems, fmt.Sprintf("%s %s missing", what, span(lo, hi)))
	}
	var kept []*shardFile
	next := 0 // the first scenario no kept file has
	for _, f := range files {
		if len(kept) > 0 {
			p := kept[len(kept)-1]
			if f.first == p.first && f.last == p.last && f.records == p.records && f.sum == p.sum {
				res.Repeated = append(res.Repeated, f.in.Name)
				continue
			}
		}
		switch {
		case f.first < next:
			problems = append(problems, fmt.Sprintf("%s (scenarios %s) overlaps %s (scenarios %s) and is not the same",
				f.in.Name, span(f.first, f.last), kept[len(kept)-1].in.Name, span(kept[len(kept)-1].first, kept[len(kept)-1].last)))
		case f.first > next:
			missing(next, f.first-1)
		}
		for _, g := range f.gaps {
			missing(g[0], g[1])
		}
		kept = append(kept, f)
		next = max(next, f.last+1)
		res.Scenarios += f.scenarios
		res.Records += f.records
	}
	if next < ref.Size {
		missing(next, ref.Size-1)
	}
	if len(problems) > 0 {
		if len(problems) > 6 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return res, shardErr{fmt.Sprintf("merge: the files are not all of sweep %s's %d scenarios: %s (a shard not given, or not finished?)",
			ref.Name, ref.Size, strings.Join(problems, "; "))}
	}
	for _, f := range kept {
		r, err := f.in.Open()
		if err != nil {
			return res, err
		}
		_, err = io.Copy(w, r)
		r.Close()
		if err != nil {
			return res, fmt.Errorf("merge: %s: %w", f.in.Name, err)
		}
		res.Files++
	}
	return res, nil
}

// scanShard reads a file's records' places in their sweep: the first and
// last scenario, gaps between them, a checksum of its bytes.
func scanShard(in ShardInput) (*shardFile, error) {
	r, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f := &shardFile{in: in}
	h := fnv.New64a()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		h.Write(b)
		h.Write([]byte{'\n'})
		if len(b) == 0 {
			continue
		}
		var rec struct {
			Schema int              `json:"schema"`
			Sweep  *models.SweepRef `json:"sweep"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s line %d: not a record: %v", in.Name, line, err)
		}
		if rec.Schema != models.RecordSchema {
			return nil, fmt.Errorf("%s line %d: schema %d, this migrlab reads schema %d", in.Name, line, rec.Schema, models.RecordSchema)
		}
		s := rec.Sweep
		if s == nil {
			return nil, shardErr{fmt.Sprintf("merge: %s line %d: a record outside a sweep (only `migrlab sweep` records merge)", in.Name, line)}
		}
		switch {
		case f.ref == nil:
			f.ref, f.first, f.last, f.scenarios = s, s.Index, s.Index, 1
		case s.ID != f.ref.ID || s.Size != f.ref.Size:
			return nil, shardErr{fmt.Sprintf("merge: %s line %d: a record of sweep %s (id %s) among records of sweep %s (id %s)",
				in.Name, line, s.Name, s.ID, f.ref.Name, f.ref.ID)}
		case s.Index < f.last:
			return nil, shardErr{fmt.Sprintf("merge: %s line %d: scenario %d after scenario %d: not a shard's records in their order", in.Name, line, s.Index, f.last)}
		case s.Index > f.last:
			if s.Index > f.last+1 {
				f.gaps = append(f.gaps, [2]int{f.last + 1, s.Index - 1})
			}
			f.last = s.Index
			f.scenarios++
		}
		if s.Index < 0 || s.Index >= s.Size {
			return nil, shardErr{fmt.Sprintf("merge: %s line %d: scenario %d of a sweep of %d", in.Name, line, s.Index, s.Size)}
		}
		f.records++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", in.Name, err)
	}
	f.sum = h.Sum64()
	return f, nil
}

// span writes the scenarios lo to hi.
func span(lo, hi int) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// SweepCoverage checks the records of sweeps (those that carry their place in
// a grid) for scenarios missing from their grid and for several definitions of
// one sweep, and says what it found, one line each (none when every sweep is
// whole). Records outside sweeps are not its business.
func SweepCoverage(recs []models.Record) []string {
	type sweep struct {
		ref  models.SweepRef
		seen []bool
		n    int
	}
	var order []string
	sweeps := map[string]*sweep{}
	ids := map[string][]string{}
	for _, r := range recs {
		s := r.Sweep
		if s == nil || s.Size <= 0 || s.Index < 0 || s.Index >= s.Size {
			continue
		}
		key := fmt.Sprintf("%s\x00%d", s.ID, s.Size)
		sw, ok := sweeps[key]
		if !ok {
			sw = &sweep{ref: *s, seen: make([]bool, s.Size)}
			sweeps[key] = sw
			order = append(order, key)
			ids[s.Name] = append(ids[s.Name], s.ID)
		}
		if !sw.seen[s.Index] {
			sw.seen[s.Index] = true
			sw.n++
		}
	}
	var out []string
	names := make([]string, 0, len(ids))
	for n := range ids {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if len(ids[n]) > 1 {
			out = append(out, fmt.Sprintf("records of %d definitions of sweep %s (ids %s): did the sweep file change between its shards?",
				len(ids[n]), n, strings.Join(ids[n], ", ")))
		}
	}
	for _, key := range order {
		sw := sweeps[key]
		if sw.n == len(sw.seen) {
			continue
		}
		var spans []string
		for i := 0; i < len(sw.seen); i++ {
			if sw.seen[i] {
				continue
			}
			j := i
			for j+1 < len(sw.seen) && !sw.seen[j+1] {
				j++
			}
			spans = append(spans, span(i, j))
			i = j
		}
		if len(spans) > 5 {
			spans = append(spans[:4], fmt.Sprintf("and %d more ranges", len(spans)-4))
		}
		out = append(out, fmt.Sprintf("sweep %s: %d of its %d scenarios have no record (%s): a shard not given, or not finished?",
			sw.ref.Name, len(sw.seen)-sw.n, len(sw.seen), strings.Join(spans, ", ")))
	}
	return out
}
