package models

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeEnv is a scripted environment: each live round sends what is pending and
// takes one second; pending after a round is the next value of dirtyAfter.
type fakeEnv struct {
	now        time.Duration
	pending    int64
	dirtyAfter []int64
	rounds     int
	waits      []time.Duration
	frozen     bool
}

func (f *fakeEnv) Now() time.Duration { return f.now }
func (f *fakeEnv) Round(context.Context) (Round, error) {
	if f.frozen {
		return Round{}, errors.New("round after freeze")
	}
	r := Round{Kind: RoundDelta, Start: f.now, Bytes: f.pending, TransferTime: time.Second}
	f.now += time.Second
	r.End = f.now
	f.pending = f.dirtyAfter[min(f.rounds, len(f.dirtyAfter)-1)]
	f.rounds++
	return r, nil
}
func (f *fakeEnv) Dirty(context.Context) (int64, error) { return f.pending, nil }
func (f *fakeEnv) WaitDirty(_ context.Context, atLeast int64, notBefore, deadline time.Duration) (WaitResult, error) {
	f.waits = append(f.waits, notBefore)
	at := max(f.now, notBefore)
	if at >= deadline {
		f.now = deadline
		return WaitResult{Dirty: f.pending, Deadline: true}, nil
	}
	f.now = at
	return WaitResult{Dirty: atLeast}, nil
}
func (f *fakeEnv) StopAndCopy(context.Context) (Round, error) {
	f.frozen = true
	r := Round{Kind: RoundFinal, Start: f.now, Bytes: f.pending, Frozen: true}
	f.now += 10 * time.Millisecond
	r.End = f.now
	return r, nil
}
func (f *fakeEnv) Resume(context.Context) (ResumeInfo, error) {
	f.now += 5 * time.Millisecond
	return ResumeInfo{Start: f.now - 5*time.Millisecond, End: f.now}, nil
}

func TestPreCopyPolicy(t *testing.T) {
	env := &fakeEnv{pending: 1000, dirtyAfter: []int64{500, 200, 50, 10}}
	tech := PreCopyTechnique{Stop: StopRules{Threshold: 60, MaxRounds: 10}, Memory: 1000}
	res, err := tech.Migrate(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	if res.LiveRounds() != 3 || res.StopReason != StopThreshold {
		t.Fatalf("live rounds %d stop %q; want 3, threshold", res.LiveRounds(), res.StopReason)
	}
	if got := res.Rounds[len(res.Rounds)-1].Bytes; got != 50 {
		t.Errorf("final round sent %d, want 50", got)
	}
	if res.Downtime() != 15*time.Millisecond || res.BytesSent() != 1750 {
		t.Errorf("downtime %v bytes %d; want 15ms, 1750", res.Downtime(), res.BytesSent())
	}
}

func TestPreCopyNonConvergent(t *testing.T) {
	env := &fakeEnv{pending: 1000, dirtyAfter: []int64{1000}}
	res, _ := PreCopyTechnique{Stop: StopRules{Threshold: 60, MaxRounds: 4}, Memory: 1000}.Migrate(context.Background(), env)
	if res.StopReason != StopMaxRounds || res.StopReason.Converged() || res.LiveRounds() != 4 {
		t.Fatalf("stop %q rounds %d", res.StopReason, res.LiveRounds())
	}
}

func TestMiGrrorPolicySyncsUntilTrigger(t *testing.T) {
	env := &fakeEnv{pending: 1000, dirtyAfter: []int64{40}}
	tech := MiGrrorTechnique{Params: MiGrrorParams{SyncThreshold: 30, MinInterval: Duration(2 * time.Second), Trigger: Duration(7500 * time.Millisecond)}}
	res, err := tech.Migrate(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	// Rounds start at 0, 2, 4, 6 (min interval from each round's start); the
	// wait after the round at 6 s hits the trigger at 7.5 s.
	if res.LiveRounds() != 4 || res.FreezeAt != 7500*time.Millisecond {
		t.Fatalf("live %d freeze %v; want 4 and 7.5s", res.LiveRounds(), res.FreezeAt)
	}
	for i, w := range env.waits[:3] {
		if want := time.Duration(i) * 2 * time.Second; w != want+2*time.Second {
			t.Errorf("wait %d not before %v, want %v", i, w, want+2*time.Second)
		}
	}
	if res.TimeAfterTrigger() != 15*time.Millisecond {
		t.Errorf("time after trigger %v", res.TimeAfterTrigger())
	}
}

func TestColdAndPostCopyUnsupported(t *testing.T) {
	env := &fakeEnv{pending: 1000}
	res, err := ColdTechnique{}.Migrate(context.Background(), env)
	if err != nil || res.LiveRounds() != 0 || res.BytesSent() != 1000 {
		t.Fatalf("cold: %v live %d bytes %d", err, res.LiveRounds(), res.BytesSent())
	}
	_, err = PostCopyTechnique{}.Migrate(context.Background(), &fakeEnv{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "simulator") {
		t.Fatalf("post-copy on a plain Env: %v", err)
	}
}
