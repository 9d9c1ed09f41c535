package probe

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// gate pauses the probing of one address: a probe in flight holds it.
type gate struct {
	mu     sync.Mutex // held while a probe of the address runs
	flagMu sync.Mutex
	paused bool
}

func (g *gate) isPaused() bool {
	g.flagMu.Lock()
	defer g.flagMu.Unlock()
	return g.paused
}

// Pause stops (paused) or restarts the probing of addr. Pausing returns
// once a probe of addr in flight has returned, so that afterwards the
// monitor holds no connection to it: the orchestrator pauses the source's
// address right before a final dump, which fails on a connected TCP socket.
func (m *Monitor) Pause(addr string, paused bool) error {
	g := m.gates[addr]
	if g == nil {
		return fmt.Errorf("probe monitor: %s is not probed", addr)
	}
	g.mu.Lock()
	g.flagMu.Lock()
	g.paused = paused
	g.flagMu.Unlock()
	g.mu.Unlock()
	return nil
}

// probeApp probes addr with m.Spec until ctx is done: one probe at a time,
// started every Interval at most (a probe that takes longer delays the next).
func (m *Monitor) probeApp(ctx context.Context, addr string) {
	g := m.gates[addr]
	var seq uint64
	for {
		start := time.Now()
		g.mu.Lock()
		if !g.isPaused() {
			seq++
			m.count(addr, func(s *AddrStats) { s.Sent++; s.Sockets++ })
			pctx, cancel := context.WithTimeout(ctx, m.timeout())
			err := m.Spec.Check(pctx, addr)
			cancel()
			at := time.Now()
			switch {
			case ctx.Err() != nil:
				m.count(addr, func(s *AddrStats) { s.Sent-- })
			case err == nil && at.Sub(start) <= m.timeout():
				m.record(Answer{Addr: addr, Sent: start, At: at, Reply: Reply{Seq: seq}})
			default:
				m.count(addr, func(s *AddrStats) { s.Lost++ })
			}
		}
		g.mu.Unlock()
		wait := m.interval() - time.Since(start)
		if wait <= 0 {
			wait = time.Millisecond // yield to Pause
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
