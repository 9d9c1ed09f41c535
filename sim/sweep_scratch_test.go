package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/migrlab/migrlab/models"
)

// TestSweepScratchSameAsRun: a worker's reused memory (the rounds lent to
// each migration, kept with every round here) changes nothing: one worker's
// records, scenario after scenario of different round counts and a parallel
// group of two containers among them, are Simulator.Run's.
func TestSweepScratchSameAsRun(t *testing.T) {
	scens := grid(t, 12)
	f, err := os.Open("../examples/group-parallel.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := models.ParseScenario(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	g.Techniques = []string{models.Cold, models.PreCopy, models.MiGrror}
	membersApart(t, g)
	scens = append(scens[:6:6], append([]models.Scenario{g}, scens[6:]...)...)
	var got []models.Record
	err = Sweep(context.Background(), scens, SweepOptions{Workers: 1},
		func(r models.Record) error { got = append(got, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, s := range scens {
		s = s.WithDefaults()
		for _, tech := range s.Techniques {
			for rep := range s.Repetitions {
				want, err := Simulator{}.Run(context.Background(), s, tech, rep)
				if err != nil {
					t.Fatal(err)
				}
				if k >= len(got) {
					t.Fatalf("%d records, want more", len(got))
				}
				a, _ := json.Marshal(got[k])
				b, _ := json.Marshal(want)
				if !bytes.Equal(a, b) {
					t.Fatalf("record %d (%s/%s/%d) differs from Run's at byte %d", k, s.Name, tech, rep, firstDifference(a, b))
				}
				k++
			}
		}
	}
	if k != len(got) {
		t.Fatalf("%d records, want %d", len(got), k)
	}
}

// TestSweepDroppedRecordsSameJSON: with the records dropped once encoded (the
// sweep command's way: each worker reuses its records' memory), the JSON is
// what the sweep writes when it keeps them, for 1 and 2 workers.
func TestSweepDroppedRecordsSameJSON(t *testing.T) {
	sw := smallSweep(t)
	want, _ := sweepJSON(t, sw, models.Whole, 1)
	for _, workers := range []int{1, 2} {
		var got bytes.Buffer
		opts := SweepOptions{Workers: workers, Analytic: true, OmitRounds: true, Encode: true, Provenance: testProvenance}
		err := SweepSource(context.Background(), sw.Slice(models.Whole), opts, func(b *Batch) error {
			if b.Records != nil {
				t.Fatal("records kept without KeepRecords")
			}
			got.Write(b.JSON)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%d workers: the JSON differs at byte %d", workers, firstDifference(got.Bytes(), want))
		}
	}
}

// membersApart: the members of a group, migrated at once, fill rounds of
// their own, run after run of one scratch (the group's members are alike:
// rounds written over each other's would not show in their records).
func membersApart(t *testing.T, g models.Scenario) {
	t.Helper()
	g = g.WithDefaults()
	tech, err := models.NewTechnique(models.MiGrror, g)
	if err != nil {
		t.Fatal(err)
	}
	var sc scratch
	for run := range 3 {
		out, err := Simulator{}.simulate(context.Background(), &g, tech, 0, 1, &sc)
		if err != nil {
			t.Fatal(err)
		}
		ms := out.Group.Members
		if len(ms) != 2 || len(ms[0].Rounds) == 0 || len(ms[1].Rounds) == 0 {
			t.Fatalf("run %d: %d members, want 2 with rounds", run, len(ms))
		}
		if &ms[0].Rounds[0] == &ms[1].Rounds[0] {
			t.Fatalf("run %d: the two members' rounds share their storage", run)
		}
	}
	if len(sc.rounds) != 2 || cap(sc.rounds[0]) == 0 || cap(sc.rounds[1]) == 0 {
		t.Fatalf("the scratch kept %d members' rounds, want 2", len(sc.rounds))
	}
}
