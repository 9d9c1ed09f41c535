package agent

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// RelayStats is what a load's relay carried.
type RelayStats struct {
	// Backend is the service address it forwards to now.
	Backend string `json:"backend"`
	// Conns counts the connections it forwarded, per backend.
	Conns map[string]int `json:"conns"`
	// Up counts the bytes from the load to the service, per backend; Down
	// the bytes back.
	Up   map[string]int64 `json:"up_bytes"`
	Down map[string]int64 `json:"down_bytes"`
	// Failed counts the connections whose backend could not be reached.
	Failed int `json:"failed"`
}

// relay is a TCP relay on the agent's loopback that a load reaches the
// service through: it forwards each connection to the current backend, so
// that switching the backend makes the load follow the service to its new
// host. Paused, it closes every connection and holds new ones until resumed.
type relay struct {
	ln net.Listener

	mu      sync.Mutex
	cond    *sync.Cond
	backend string
	paused  bool
	closed  bool
	conns   map[net.Conn]bool
	st      RelayStats
	wg      sync.WaitGroup
}

// newRelay listens on 127.0.0.1 (a free port) and forwards to backend.
func newRelay(backend string) (*relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{ln: ln, backend: backend, conns: map[net.Conn]bool{},
		st: RelayStats{Conns: map[string]int{}, Up: map[string]int64{}, Down: map[string]int64{}}}
	r.cond = sync.NewCond(&r.mu)
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Addr is where the load connects.
func (r *relay) Addr() string { return r.ln.Addr().String() }

func (r *relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.serve(c)
	}
}

// serve forwards one connection once the relay is not paused.
func (r *relay) serve(c net.Conn) {
	defer r.wg.Done()
	r.mu.Lock()
	for r.paused && !r.closed {
		r.cond.Wait()
	}
	backend, closed := r.backend, r.closed
	r.mu.Unlock()
	if closed {
		c.Close()
		return
	}
	b, err := net.DialTimeout("tcp", backend, 5*time.Second)
	r.mu.Lock()
	if err != nil || r.paused || r.closed || r.backend != backend {
		if err != nil {
			r.st.Failed++
		}
		r.mu.Unlock()
		c.Close()
		if b != nil {
			b.Close()
		}
		return
	}
	r.st.Conns[backend]++
	r.conns[c], r.conns[b] = true, true
	r.mu.Unlock()
	var pipes sync.WaitGroup
	pipes.Add(2)
	pipe := func(dst, src net.Conn, count map[string]int64) {
		defer pipes.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					err = werr
				}
				r.mu.Lock()
				count[backend] += int64(n)
				r.mu.Unlock()
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					src.Close()
				}
				dst.Close()
				return
			}
		}
	}
	go pipe(b, c, r.st.Up)
	go pipe(c, b, r.st.Down)
	pipes.Wait()
	r.mu.Lock()
	delete(r.conns, c)
	delete(r.conns, b)
	r.mu.Unlock()
	c.Close()
	b.Close()
}

// pause closes every forwarded connection and holds new ones.
func (r *relay) pause() {
	r.mu.Lock()
	r.paused = true
	conns := make([]net.Conn, 0, len(r.conns))
	for c := range r.conns {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// resume forwards again, to backend when it is not empty.
func (r *relay) resume(backend string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if backend != "" {
		r.backend = backend
	}
	r.paused = false
	r.cond.Broadcast()
}

// stats returns a copy of the relay's counts.
func (r *relay) stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := RelayStats{Backend: r.backend, Failed: r.st.Failed, Conns: map[string]int{}, Up: map[string]int64{}, Down: map[string]int64{}}
	for k, v := range r.st.Conns {
		st.Conns[k] = v
	}
	for k, v := range r.st.Up {
		st.Up[k] = v
	}
	for k, v := range r.st.Down {
		st.Down[k] = v
	}
	return st
}

// close stops the relay and its connections and waits for them.
func (r *relay) close() {
	r.ln.Close()
	r.pause()
	r.mu.Lock()
	r.closed = true
	r.cond.Broadcast()
	r.mu.Unlock()
	r.wg.Wait()
}
