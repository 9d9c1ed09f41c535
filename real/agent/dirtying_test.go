package agent

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

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

// TestDirtyingPassCountsGrowth: pages the process maps and touches during a
// pass raise its anonymous count from the clear to the last window by at
// least as many.
func TestDirtyingPassCountsGrowth(t *testing.T) {
	if ok, err := softdirty.Supported(); err != nil || !ok {
		t.Skipf("no soft-dirty tracking here (%v)", err)
	}
	if err := softdirty.ClearForProfile(os.Getpid()); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	ps := os.Getpagesize()
	const grow = 1500
	buf, err := syscall.Mmap(-1, 0, grow*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(buf)
	done := make(chan struct{})
	go func() { // a new page every 50 µs after the clear: all 1500 within about 150 ms
		defer close(done)
		time.Sleep(30 * time.Millisecond)
		for i := 0; i < grow; i++ {
			buf[i*ps] = 1
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	p, err := dirtyingPass(context.Background(), []int{os.Getpid()}, []time.Duration{20 * time.Millisecond, 400 * time.Millisecond})
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Anon) != 2 {
		t.Fatalf("anon counts %v, want one per window", p.Anon)
	}
	if got := int64(p.Anon[1]) - int64(p.AnonAtClear); got < grow || got > 3*grow {
		t.Errorf("grew by %d anonymous pages between the clear and the last window, want about %d", got, grow)
	}
	if got := int64(p.Anon[0]) - int64(p.AnonAtClear); got > grow/2 {
		t.Errorf("grew by %d pages within 20 ms, before the writer started", got)
	}
}

// TestDirtyingPassCountsMarks: a mapping extended by a merged mmap during a
// pass is marked soft-dirty whole, and the pass reports the pages it held.
func TestDirtyingPassCountsMarks(t *testing.T) {
	if ok, err := softdirty.Supported(); err != nil || !ok {
		t.Skipf("no soft-dirty tracking here (%v)", err)
	}
	if err := softdirty.ClearForProfile(os.Getpid()); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	ps := os.Getpagesize()
	const held = 400
	buf, err := syscall.Mmap(-1, 0, held*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(buf)
	for i := 0; i < held; i++ {
		buf[i*ps] = 1
	}
	below := uintptr(unsafe.Pointer(&buf[0])) - uintptr(16*ps)
	const fixedNoReplace = 0x100000
	done := make(chan uintptr)
	go func() { // after the clear, map 16 pages right below: the kernel merges them in
		time.Sleep(250 * time.Millisecond)
		r, _, _ := syscall.Syscall6(syscall.SYS_MMAP, below, uintptr(16*ps), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON|fixedNoReplace, ^uintptr(0), 0)
		done <- r
	}()
	p, err := dirtyingPass(context.Background(), []int{os.Getpid()}, []time.Duration{100 * time.Millisecond, 700 * time.Millisecond})
	r := <-done
	if r == below {
		defer syscall.Syscall(syscall.SYS_MUNMAP, below, uintptr(16*ps), 0)
	} else {
		t.Skipf("could not map right below the region (got %#x)", r)
	}
	if err != nil {
		t.Fatal(err)
	}
	var marked uint64
	for _, m := range p.Marks {
		marked += m.Pages
		if m.At < 200*time.Millisecond || m.At > 700*time.Millisecond {
			t.Errorf("mark at %s, the mapping grew at about 250ms", m.At)
		}
	}
	if marked < held || marked > 4*held {
		t.Errorf("marked %d pages (%+v), want about the %d the mapping held", marked, p.Marks, held)
	}
}
