package workload

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

// tcpIdle is how long a TCP probe connection may stay idle before the workload
// closes it. Open connections would make a checkpoint without
// --tcp-established fail, so they should not linger.
const tcpIdle = 5 * time.Second

// Workload is a running workload: its memory, the goroutine that dirties it and
// the probe listeners.
type Workload struct {
	cfg   Config
	mem   *Memory
	nonce uint64
	start time.Time
	seq   atomic.Uint64 // answers given
	tick  atomic.Pointer[tickState]

	udp *net.UDPConn
	tcp *net.TCPListener

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// Start allocates the memory, opens the probe listeners (UDP and TCP on the
// same port) and starts dirtying. Close stops it.
func Start(cfg Config) (*Workload, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("start nonce: %w", err)
	}
	w := &Workload{cfg: cfg, nonce: binary.LittleEndian.Uint64(nb[:]), start: time.Now(), stop: make(chan struct{})}
	var err error
	if w.udp, w.tcp, err = listenBoth(cfg.Listen); err != nil {
		return nil, err
	}
	if w.mem, err = NewMemory(cfg); err != nil {
		w.udp.Close()
		w.tcp.Close()
		return nil, err
	}
	w.tick.Store(&tickState{Snapshot: w.mem.Snapshot()})
	w.wg.Add(3)
	go w.dirty()
	go w.serveUDP()
	go w.serveTCP()
	return w, nil
}

// Run starts the workload, reports it on log, and runs it until ctx is done.
func Run(ctx context.Context, cfg Config, log io.Writer) error {
	w, err := Start(cfg)
	if err != nil {
		return err
	}
	l := w.cfg.layout()
	fmt.Fprintf(log, "migrlab-workload: nonce=%s listen=%s pages=%d wws=%d hot=%d hot_share=%g rate=%g pages/s seed=%d tick=%s\n",
		probe.Hex64(w.nonce), w.Addr(), l.pages, l.wws, l.hot, l.hotShare, l.rate, w.cfg.Seed, w.cfg.Tick)
	<-ctx.Done()
	s := w.mem.Snapshot()
	fmt.Fprintf(log, "migrlab-workload: stopping: writes=%d answers=%d sum=%s\n", s.Writes, w.seq.Load(), probe.Hex64(s.Sum))
	return w.Close()
}

// listenBoth opens UDP and TCP listeners on the same port; for port 0 it
// retries until it finds a port that is free for both.
func listenBoth(addr string) (*net.UDPConn, *net.TCPListener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	for attempt := 0; ; attempt++ {
		u, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen udp: %w", err)
		}
		p := strconv.Itoa(u.LocalAddr().(*net.UDPAddr).Port)
		t, err := net.Listen("tcp", net.JoinHostPort(host, p))
		if err == nil {
			return u.(*net.UDPConn), t.(*net.TCPListener), nil
		}
		u.Close()
		if port != "0" || attempt == 20 {
			return nil, nil, fmt.Errorf("listen tcp: %w", err)
		}
	}
}

// Addr returns the host:port the workload answers on (UDP and TCP).
func (w *Workload) Addr() string { return w.udp.LocalAddr().String() }

// Nonce returns the random number chosen at start.
func (w *Workload) Nonce() uint64 { return w.nonce }

// Memory returns the workload's memory.
func (w *Workload) Memory() *Memory { return w.mem }

// Answer handles one request line and returns the reply; it is what the UDP
// and TCP listeners call.
func (w *Workload) Answer(line string) probe.Reply {
	req, err := probe.ParseRequest(line)
	var v *probe.VerifyResult
	if err == nil && req.Cmd == probe.CmdVerify {
		r := w.mem.Verify()
		v = &r
	}
	s := w.tick.Load()
	r := probe.Reply{
		ID:       req.ID,
		Seq:      w.seq.Add(1),
		Nonce:    probe.Hex64(w.nonce),
		Writes:   s.Writes,
		WritesNS: s.At.Sub(w.start).Nanoseconds(),
		ActiveNS: s.Active.Nanoseconds(),
		Sum:      probe.Hex64(s.Sum),
		UptimeNS: time.Since(w.start).Nanoseconds(),
		UnixNS:   time.Now().UnixNano(),
		Verify:   v,
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// reply formats Answer's reply as one JSON line.
func (w *Workload) reply(line string) []byte {
	b, err := json.Marshal(w.Answer(line))
	if err != nil {
		panic(err) // Reply has no types that fail to marshal
	}
	return append(b, '\n')
}

// Close stops dirtying and answering, and unmaps the memory.
func (w *Workload) Close() error {
	w.once.Do(func() {
		close(w.stop)
		w.udp.Close()
		w.tcp.Close()
		w.wg.Wait()
		w.mem.Close()
	})
	return nil
}

// tickState is what the dirtying goroutine publishes after each tick.
type tickState struct {
	Snapshot
	// Active is the running time credited so far (see dirty).
	Active time.Duration
}

// dirty does the due writes every tick. The time credited per tick is capped
// at ten ticks: writes missed in a short scheduling stall are made up, but a
// freeze (a CRIU dump) or a clock jump (a restored process's monotonic clock
// can jump either way) does not turn into a burst of writes. The rate is thus
// a rate over the time the workload runs.
func (w *Workload) dirty() {
	defer w.wg.Done()
	l := w.cfg.layout()
	trace := w.cfg.Workload.RateTrace
	t := time.NewTicker(w.cfg.Tick)
	defer t.Stop()
	last, active, credit := time.Now(), time.Duration(0), 0.0
	for {
		select {
		case <-w.stop:
			return
		case now := <-t.C:
			dt := now.Sub(last)
			last = now
			if dt <= 0 {
				dt = w.cfg.Tick
			}
			dt = min(dt, 10*w.cfg.Tick)
			credit += l.rate * trace.FactorAt(active) * dt.Seconds()
			active += dt
			n := int(credit)
			credit -= float64(n)
			w.mem.Write(n)
			w.tick.Store(&tickState{Snapshot: w.mem.Snapshot(), Active: active})
		}
	}
}

// serveUDP answers datagrams. Verify requests are answered from their own
// goroutine so that probes keep flowing while the memory is rechecked.
func (w *Workload) serveUDP() {
	defer w.wg.Done()
	var vg sync.WaitGroup
	defer vg.Wait()
	buf := make([]byte, 512)
	for {
		n, from, err := w.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // for example ICMP errors from an earlier reply
		}
		line := string(buf[:n])
		if req, _ := probe.ParseRequest(line); req.Cmd == probe.CmdVerify {
			vg.Add(1)
			go func() {
				defer vg.Done()
				w.udp.WriteToUDPAddrPort(w.reply(line), from)
			}()
			continue
		}
		w.udp.WriteToUDPAddrPort(w.reply(line), from)
	}
}

// serveTCP answers request lines on TCP connections.
func (w *Workload) serveTCP() {
	defer w.wg.Done()
	var cg sync.WaitGroup
	defer cg.Wait()
	for {
		c, err := w.tcp.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		cg.Add(1)
		go func() {
			defer cg.Done()
			defer c.Close()
			w.serveConn(c)
		}()
	}
}

// serveConn answers one TCP connection until EOF, an idle timeout or Close.
func (w *Workload) serveConn(c net.Conn) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-w.stop:
			c.Close()
		case <-done:
		}
	}()
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 512), 4096)
	for {
		c.SetReadDeadline(time.Now().Add(tcpIdle))
		if !sc.Scan() {
			return
		}
		if _, err := c.Write(w.reply(sc.Text())); err != nil {
			return
		}
	}
}
