package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/testbed"
)

// TestMigratingCommandsLockTheTestbed: while another command holds a
// testbed's lock, every command that migrates on it refuses at once, naming
// the holder, before it connects to any host.
func TestMigratingCommandsLockTheTestbed(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, "testbeds", "busy")
	hosts := &testbed.Testbed{Name: "busy", Backend: testbed.BackendSSH, Dir: dir,
		Hosts: []testbed.Host{{Name: "a", SSHAddr: "192.0.2.1", SSHPort: 22}, {Name: "b", SSHAddr: "192.0.2.2", SSHPort: 22}}}
	if err := testbed.Write(filepath.Join(dir, testbed.FileName), hosts); err != nil {
		t.Fatal(err)
	}
	unlock, err := testbed.Lock(dir, "migrlab demo")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	scen := filepath.Join("..", "..", "examples", "compare-small.yaml")
	calib := filepath.Join(state, "calibration.json")
	f, err := os.Create(calib)
	if err != nil {
		t.Fatal(err)
	}
	models.WriteCalibration(f, testCalibration())
	f.Close()
	for _, c := range []struct{ cmd, args []string }{
		{[]string{"recover"}, nil},
		{[]string{"run", "-s", scen}, nil},
		{[]string{"calibrate"}, nil},
		{[]string{"compare", "--calibration", calib}, []string{scen}},
	} {
		args := append(append(c.cmd, "--testbed", "busy", "--state-dir", state), c.args...)
		_, _, err := runArgs(t, args...)
		if !errors.Is(err, testbed.ErrBusy) || !strings.Contains(err.Error(), "migrlab demo (pid ") {
			t.Errorf("%v: %v, want the testbed busy with migrlab demo", args, err)
		}
	}
}
