package probe

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Monitor defaults.
const (
	// DefaultInterval is how often a Monitor probes each address.
	DefaultInterval = 5 * time.Millisecond
	// DefaultTimeout is how long a Monitor waits for a reply before counting the
	// probe as lost.
	DefaultTimeout = 250 * time.Millisecond
)

// Answer is one reply a Monitor received.
type Answer struct {
	// Addr is the address that answered, as given to NewMonitor.
	Addr string
	// Sent is when the request was sent (local clock).
	Sent time.Time
	// At is when the reply arrived (local clock).
	At time.Time
	// Reply is what the workload answered.
	Reply Reply
}

// RTT returns the round-trip time of the probe.
func (a Answer) RTT() time.Duration { return a.At.Sub(a.Sent) }

// AddrStats counts a Monitor's probes of one address.
type AddrStats struct {
	// Addr is the probed address.
	Addr string
	// Sent is the number of probes sent.
	Sent int
	// Answered is the number of replies received within the timeout.
	Answered int
	// Lost is the number of probes without a reply within the timeout.
	Lost int
	// Sockets is the number of UDP sockets used: a Monitor takes a new one (a
	// new source port) after a timeout without replies, so that stale
	// connection-tracking state cannot keep a NAT rule from applying once the
	// target's port mapping appears.
	Sockets int
}

// Monitor probes one or more addresses (the source and the target of a
// migration) over UDP every Interval and records every reply. Set the fields
// before Run; the zero values mean the defaults.
type Monitor struct {
	// Interval is the time between two probes of one address (default 5 ms).
	Interval time.Duration
	// Timeout is how long to wait for a reply (default 250 ms); later replies
	// are dropped and their probes counted as lost.
	Timeout time.Duration
	// Spec, when set, probes an application in its own terms (see Spec)
	// instead of with the workload's UDP protocol: one probe at a time per
	// address, every Interval at most.
	Spec *Spec

	addrs   []string
	mu      sync.Mutex
	answers []Answer
	stats   map[string]*AddrStats
	// gates pause the probing of an address (see Pause).
	gates map[string]*gate
}

// NewMonitor returns a Monitor of the given addresses (host:port); an address
// given twice is probed once.
func NewMonitor(addrs ...string) *Monitor {
	m := &Monitor{stats: map[string]*AddrStats{}, gates: map[string]*gate{}}
	for _, a := range addrs {
		if m.stats[a] == nil {
			m.addrs = append(m.addrs, a)
			m.stats[a] = &AddrStats{Addr: a}
			m.gates[a] = &gate{}
		}
	}
	return m
}

// Run probes until ctx is done, then returns nil; call it once. Unreachable or
// silent addresses are not errors: they are what a migration looks like.
func (m *Monitor) Run(ctx context.Context) error {
	if len(m.addrs) == 0 {
		return errors.New("probe monitor: no addresses")
	}
	var wg sync.WaitGroup
	for _, a := range m.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if m.Spec != nil {
				m.probeApp(ctx, a)
				return
			}
			m.probeAddr(ctx, a)
		}()
	}
	wg.Wait()
	return nil
}

// Answers returns the replies received so far, in order of arrival.
func (m *Monitor) Answers() []Answer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Answer(nil), m.answers...)
}

// Stats returns per-address counts, in the order of the addresses.
func (m *Monitor) Stats() []AddrStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]AddrStats, len(m.addrs))
	for i, a := range m.addrs {
		out[i] = *m.stats[a]
	}
	return out
}

// Downtime returns the client-side downtime of a migration from src to dst:
// the time from the last answer of src to the first answer of dst after it.
func (m *Monitor) Downtime(src, dst string) (time.Duration, error) {
	return Downtime(m.Answers(), src, dst)
}

// Analyze returns the client-side view of a migration from src to dst.
func (m *Monitor) Analyze(src, dst string) (Migration, error) {
	return Analyze(m.Answers(), src, dst)
}

func (m *Monitor) interval() time.Duration {
	if m.Interval > 0 {
		return m.Interval
	}
	return DefaultInterval
}

func (m *Monitor) timeout() time.Duration {
	if m.Timeout > 0 {
		return m.Timeout
	}
	return DefaultTimeout
}

// sock is one UDP socket of a prober.
type sock struct {
	conn net.Conn
	// waiting is when the oldest probe sent since the last reply on this
	// socket was sent (zero when there is none); guarded by prober.mu.
	waiting time.Time
}

// prober probes one address.
type prober struct {
	m       *Monitor
	addr    string
	mu      sync.Mutex
	pending map[uint64]time.Time // request id -> sent
	cur     *sock
	readers sync.WaitGroup
}

func (m *Monitor) probeAddr(ctx context.Context, addr string) {
	p := &prober{m: m, addr: addr, pending: map[uint64]time.Time{}}
	t := time.NewTicker(m.interval())
	defer t.Stop()
	defer p.readers.Wait()
	var id uint64
	for {
		select {
		case <-ctx.Done():
			p.mu.Lock()
			if p.cur != nil {
				p.cur.conn.Close()
			}
			p.mu.Unlock()
			return
		case now := <-t.C:
			p.expire(now)
			if m.gates[addr].isPaused() {
				continue
			}
			s := p.socket(now)
			if s == nil {
				continue
			}
			id++
			p.mu.Lock()
			p.pending[id] = now
			if s.waiting.IsZero() {
				s.waiting = now
			}
			p.mu.Unlock()
			m.count(addr, func(s *AddrStats) { s.Sent++ })
			s.conn.Write([]byte(Request{Cmd: CmdProbe, ID: id}.String()))
		}
	}
}

// socket returns the socket to send on, replacing it when a probe sent on it
// went unanswered for longer than Timeout.
func (p *prober) socket(now time.Time) *sock {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil && (p.cur.waiting.IsZero() || now.Sub(p.cur.waiting) <= p.m.timeout()) {
		return p.cur
	}
	if p.cur != nil {
		p.cur.conn.Close()
		p.cur = nil
	}
	c, err := net.Dial("udp", p.addr)
	if err != nil {
		return nil // for example a name that does not resolve yet: retried next tick
	}
	s := &sock{conn: c}
	p.cur = s
	p.m.count(p.addr, func(st *AddrStats) { st.Sockets++ })
	p.readers.Add(1)
	go p.read(s)
	return s
}

// read receives replies on s until it is closed.
func (p *prober) read(s *sock) {
	defer p.readers.Done()
	buf := make([]byte, 2048)
	for {
		n, err := s.conn.Read(buf)
		at := time.Now()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ECONNREFUSED from an ICMP port unreachable: nobody listens yet
		}
		r, err := ParseReply(buf[:n])
		if err != nil {
			continue
		}
		p.mu.Lock()
		sent, ok := p.pending[r.ID]
		late := ok && at.Sub(sent) > p.m.timeout()
		if ok {
			delete(p.pending, r.ID)
			s.waiting = time.Time{}
		}
		p.mu.Unlock()
		switch {
		case late:
			p.m.count(p.addr, func(st *AddrStats) { st.Lost++ })
		case ok:
			p.m.record(Answer{Addr: p.addr, Sent: sent, At: at, Reply: r})
		}
	}
}

// expire counts the probes that waited longer than Timeout as lost.
func (p *prober) expire(now time.Time) {
	lost := 0
	p.mu.Lock()
	for id, sent := range p.pending {
		if now.Sub(sent) > p.m.timeout() {
			delete(p.pending, id)
			lost++
		}
	}
	p.mu.Unlock()
	if lost > 0 {
		p.m.count(p.addr, func(s *AddrStats) { s.Lost += lost })
	}
}

func (m *Monitor) record(a Answer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.answers = append(m.answers, a)
	m.stats[a.Addr].Answered++
}

func (m *Monitor) count(addr string, f func(*AddrStats)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(m.stats[addr])
}
