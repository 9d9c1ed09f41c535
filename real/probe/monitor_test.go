package probe_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real/probe"
	"github.com/migrlab/migrlab/real/workload"
)

func startWorkload(t *testing.T) *workload.Workload {
	t.Helper()
	c := workload.Config{Memory: models.Memory{Size: 8 << 20}, Listen: "127.0.0.1:0", Seed: 3}
	c.Workload.DirtyRate = 2000 * workload.PageSize
	w, err := workload.Start(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// relay forwards probe datagrams to a workload while it is enabled, and drops
// them (like a frozen process) when it is not: it stands for the source or the
// target host of a migration of one in-process workload.
type relay struct {
	pc      net.PacketConn
	up      net.Conn
	enabled atomic.Bool
	done    sync.WaitGroup
}

func startRelay(t *testing.T, listen, upstream string) *relay {
	t.Helper()
	pc, err := net.ListenPacket("udp", listen)
	if err != nil {
		t.Fatal(err)
	}
	up, err := net.Dial("udp", upstream)
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{pc: pc, up: up}
	r.enabled.Store(true)
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if !r.enabled.Load() {
				continue
			}
			up.SetDeadline(time.Now().Add(time.Second))
			if _, err := up.Write(buf[:n]); err != nil {
				continue
			}
			if n, err = up.Read(buf); err != nil || !r.enabled.Load() {
				continue
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
	t.Cleanup(func() { pc.Close(); up.Close(); r.done.Wait() })
	return r
}

// freePort returns a loopback UDP address that nothing listens on (yet).
func freePort(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().String()
}

// TestMonitorMigration plays a migration: the source answers, goes silent,
// and after a gap the target (on another address, refusing until then) answers
// for the same process. The Monitor's downtime must match the gap.
func TestMonitorMigration(t *testing.T) {
	w := startWorkload(t)
	src := startRelay(t, "127.0.0.1:0", w.Addr())
	srcAddr, dstAddr := src.pc.LocalAddr().String(), freePort(t)

	m := probe.NewMonitor(srcAddr, dstAddr, srcAddr)
	m.Timeout = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- m.Run(ctx) }()

	time.Sleep(300 * time.Millisecond)
	t1 := time.Now()
	src.enabled.Store(false)
	time.Sleep(400 * time.Millisecond)
	t2 := time.Now()
	startRelay(t, dstAddr, w.Addr())
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}

	mig, err := m.Analyze(srcAddr, dstAddr)
	if err != nil {
		t.Fatal(err)
	}
	gap := t2.Sub(t1)
	t.Logf("gap %s, downtime %s, answers %d/%d, stats %+v", gap, mig.Downtime, mig.SourceAnswers, mig.TargetAnswers, m.Stats())
	if mig.Downtime < gap-20*time.Millisecond || mig.Downtime > gap+150*time.Millisecond {
		t.Errorf("downtime %s, want the gap %s (-20ms, +150ms)", mig.Downtime, gap)
	}
	if d, err := m.Downtime(srcAddr, dstAddr); d != mig.Downtime || err != nil {
		t.Errorf("Downtime = %s, %v; Analyze %s", d, err, mig.Downtime)
	}
	if err := mig.Err(); err != nil {
		t.Error(err)
	}
	if mig.SourceAnswers < 10 || mig.TargetAnswers < 10 {
		t.Errorf("only %d source and %d target answers", mig.SourceAnswers, mig.TargetAnswers)
	}
	st := m.Stats()
	if len(st) != 2 || st[0].Addr != srcAddr || st[0].Lost == 0 || st[1].Addr != dstAddr || st[1].Sockets < 2 {
		t.Errorf("stats %+v: want the source's lost probes counted and the target's socket replaced while it was silent", st)
	}
	for _, s := range st {
		if s.Sent < s.Answered+s.Lost || s.Answered == 0 {
			t.Errorf("stats %+v do not add up", s)
		}
	}
	v, err := probe.Verify(context.Background(), w.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if err := mig.CheckVerify(v); err != nil {
		t.Error(err)
	}
}

// TestMonitorDirect probes one workload until it has 50 answers (at 5 ms,
// a quarter of a second when the machine is idle; the bound is generous so
// that a loaded machine does not fail it).
func TestMonitorDirect(t *testing.T) {
	w := startWorkload(t)
	m := probe.NewMonitor(w.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil && len(m.Answers()) < 50 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	m.Run(ctx)
	as := m.Answers()
	if len(as) < 50 {
		t.Fatalf("%d answers in 20 s at 5 ms", len(as))
	}
	var rtt time.Duration
	for i, a := range as {
		rtt += a.RTT()
		if a.Addr != w.Addr() || a.Reply.Nonce != probe.Hex64(w.Nonce()) || a.RTT() <= 0 || a.RTT() > probe.DefaultTimeout {
			t.Fatalf("answer %d: %+v", i, a)
		}
		if i > 0 && (a.Reply.Seq <= as[i-1].Reply.Seq || a.Reply.Writes < as[i-1].Reply.Writes || a.At.Before(as[i-1].At)) {
			t.Fatalf("answer %d does not follow %d: %+v after %+v", i, i-1, a, as[i-1])
		}
	}
	t.Logf("%d answers, mean RTT %s, stats %+v", len(as), rtt/time.Duration(len(as)), m.Stats())
}

func TestProbeErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := probe.Probe(ctx, freePort(t)); err == nil {
		t.Error("Probe of a closed port: no error")
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0") // a silent peer
	defer pc.Close()
	if _, err := probe.Probe(ctx2, pc.LocalAddr().String()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Probe of a silent peer: %v, want a deadline error", err)
	}
	if err := probe.NewMonitor().Run(context.Background()); err == nil {
		t.Error("Monitor without addresses: no error")
	}
}
