package infra

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// progress writes "[  12s] name: message" lines.
type progress struct {
	w     io.Writer
	name  string
	start time.Time
	mu    sync.Mutex
}

func newProgress(w io.Writer, name string) *progress {
	if w == nil {
		w = io.Discard
	}
	return &progress{w: w, name: name, start: time.Now()}
}

func (p *progress) elapsed() time.Duration { return time.Since(p.start) }

// printf writes one progress line.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%4.0fs] testbed %s: %s\n", p.elapsed().Seconds(), p.name, fmt.Sprintf(format, args...))
}

// scriptLines is an io.Writer over Terraform's output that passes the lines
// our provisioner scripts print ("migrlab: ..." / "migrlab[vm1]: ...") on to
// progress, for a human to follow. Nothing is parsed out of them.
type scriptLines struct {
	p   *progress
	buf bytes.Buffer
}

func (s *scriptLines) Write(b []byte) (int, error) {
	s.buf.Write(b)
	for {
		line, err := s.buf.ReadString('\n')
		if err != nil {
			s.buf.WriteString(line) // incomplete: keep for the next Write
			return len(b), nil
		}
		// "resource (local-exec): migrlab: ..." or "(remote-exec): migrlab[vm1]: ..."
		if _, msg, ok := strings.Cut(line, "-exec): "); ok && strings.HasPrefix(msg, "migrlab") {
			s.p.printf("%s", strings.TrimSpace(msg))
		}
	}
}
