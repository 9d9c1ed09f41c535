package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rollback runs the container on the source again, restored from its
// checkpoint when podman completed one, else started from its image with
// the report saying the state was lost; it fails only when neither works.
func TestRollbackOfAStoppedContainer(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		checkpointed           bool
		restoreErr, startErr   error
		wantRestore, wantStart bool
		wantLost, wantErr      bool
		causeHas               string
	}{
		{name: "checkpointed", checkpointed: true, wantRestore: true},
		{name: "died with the dump", wantStart: true, wantLost: true, causeHas: "no complete checkpoint"},
		{name: "checkpoint does not restore", checkpointed: true, restoreErr: errors.New("podman restore: boom"),
			wantRestore: true, wantStart: true, wantLost: true, causeHas: "did not restore: podman restore: boom"},
		{name: "nothing works", startErr: errors.New("podman start: no image"), wantStart: true, wantErr: true,
			causeHas: "no complete checkpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, fe := newTarget(t, nil, Limits{})
			u := t.TempDir()
			if err := os.MkdirAll(filepath.Join(u, chainDir, "r1"), 0o755); err != nil {
				t.Fatal(err)
			}
			c := Container{ID: testID, Name: "web", State: "exited", Checkpointed: tc.checkpointed, UserData: u}
			fe.containers[testID] = c
			fe.localRestoreErr, fe.startErr = tc.restoreErr, tc.startErr
			rep, err := s.rollback(context.Background(), c)
			if (err != nil) != tc.wantErr {
				t.Fatalf("rollback: %v; want an error %v", err, tc.wantErr)
			}
			if got := len(fe.localRestored) > 0; got != tc.wantRestore {
				t.Errorf("restored from the checkpoint: %v, want %v", got, tc.wantRestore)
			}
			if got := len(fe.started) > 0; got != tc.wantStart {
				t.Errorf("started from the image: %v, want %v", got, tc.wantStart)
			}
			if rep.StateLost != tc.wantLost {
				t.Errorf("state lost %v, want %v", rep.StateLost, tc.wantLost)
			}
			if tc.wantErr {
				if !strings.Contains(err.Error(), tc.causeHas) || !strings.Contains(err.Error(), "no image") {
					t.Errorf("error %q does not give the cause (%q) and the start's failure", err, tc.causeHas)
				}
				return
			}
			if !rep.Running || rep.PID != 4242 {
				t.Errorf("the report's container %+v is not the running one", rep.Container)
			}
			if !strings.Contains(rep.Cause, tc.causeHas) {
				t.Errorf("cause %q, want it to contain %q", rep.Cause, tc.causeHas)
			}
			if _, err := os.Stat(filepath.Join(u, chainDir)); !os.IsNotExist(err) {
				t.Errorf("the migration's chain is left after the rollback: %v", err)
			}
		})
	}
}
