package agent

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/migrlab/migrlab/real/softdirty"
)

func TestDirtyingRequestValidate(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		windows []time.Duration
		want    string
	}{
		{nil, "give 1 to 64 windows"},
		{[]time.Duration{0}, "window 0 is 0s"},
		{[]time.Duration{2 * ms, 2 * ms}, "window 1 is 2ms"},
		{[]time.Duration{6 * time.Minute}, "at most 5m0s"},
		{[]time.Duration{ms, 2 * ms}, ""},
	} {
		err := DirtyingRequest{Windows: tc.windows}.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: error %v, want %q", tc.windows, err, tc.want)
		}
	}
}

// TestDirtyingRefusesAChain: a container with a pre-dump chain is not
// profiled (409 naming the reason), and a bad request is a 400.
func TestDirtyingRefusesAChain(t *testing.T) {
	s, fe := newTarget(t, nil, Limits{})
	ud := t.TempDir()
	fe.containers[testID] = Container{ID: testID, Name: "app", Running: true, PID: os.Getpid(), State: "running", UserData: ud}
	if err := os.Mkdir(filepath.Join(ud, chainDir), 0o700); err != nil {
		t.Fatal(err)
	}
	h := s.Handler(true)
	code, msg := serveJSON(t, h, http.MethodPost, "/v1/containers/"+testID+"/dirtying", DirtyingRequest{Windows: []time.Duration{time.Millisecond}})
	if code != http.StatusConflict || !strings.Contains(msg, "pre-dump chain") {
		t.Fatalf("with a chain: %d %q, want 409 naming the pre-dump chain", code, msg)
	}
	code, msg = serveJSON(t, h, http.MethodPost, "/v1/containers/"+testID+"/dirtying", DirtyingRequest{})
	if code != http.StatusBadRequest || !strings.Contains(msg, "windows") {
		t.Fatalf("no windows: %d %q, want 400", code, msg)
	}
}

// TestDirtyingPass profiles this test process while it writes pages of a
// buffer: the counts grow with the window and cover the pages written.
func TestDirtyingPass(t *testing.T) {
	if ok, err := softdirty.Supported(); err != nil || !ok {
		t.Skipf("no soft-dirty tracking here (%v)", err)
	}
	if err := softdirty.ClearForProfile(os.Getpid()); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	ps := os.Getpagesize()
	buf := make([]byte, 2048*ps)
	for i := 0; i < len(buf); i += ps {
		buf[i] = 1 // resident before the pass
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // one new page every 100 µs: about 10,000 pages a second
		defer close(done)
		for i := 0; ; i = (i + 1) % 2048 {
			select {
			case <-stop:
				return
			default:
			}
			buf[i*ps]++
			time.Sleep(100 * time.Microsecond)
		}
	}()
	p, err := dirtyingPass(context.Background(), []int{os.Getpid()}, []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Pages) != 3 || len(p.Windows) != 3 || p.Processes != 1 || p.PageSize != ps {
		t.Fatalf("pass = %+v", p)
	}
	for i, w := range []time.Duration{20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond} {
		if p.Windows[i] < w || p.Windows[i] > w+200*time.Millisecond {
			t.Errorf("window %d measured %s, asked %s", i, p.Windows[i], w)
		}
	}
	if !(p.Pages[0] <= p.Pages[1] && p.Pages[1] <= p.Pages[2]) {
		t.Errorf("counts do not grow with the window: %v", p.Pages)
	}
	// The writer touched at least a few hundred distinct pages in 300 ms
	// (sleeps overshoot, so far fewer than 3,000), and never more than the
	// process's resident pages.
	if p.Pages[2] < 200 || p.Pages[2] > p.Resident {
		t.Errorf("pages dirtied in %s: %d (resident %d), want >= 200", p.Windows[2], p.Pages[2], p.Resident)
	}
}
