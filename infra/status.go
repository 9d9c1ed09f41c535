package infra

import (
	"context"
	"sync"
	"time"

	"github.com/migrlab/migrlab/testbed"
)

// Status returns the testbed as recorded by its last Up, with each host's
// State set to "up" when it answers over SSH (with its recorded host key) or
// to the reason it does not.
func Status(ctx context.Context, name string, opts ...Option) (*testbed.Testbed, error) {
	o := collectOptions(opts)
	l, err := newLayout(o.stateDir, name)
	if err != nil {
		return nil, err
	}
	tb, err := l.readTestbed()
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	for i := range tb.Hosts {
		wg.Add(1)
		go func(h *testbed.Host) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if _, _, err := h.Run(cctx, "true"); err != nil {
				h.State = "unreachable: " + err.Error()
				return
			}
			h.State = "up"
		}(&tb.Hosts[i])
	}
	wg.Wait()
	return tb, nil
}

// Load returns the testbed as recorded by its last Up, without contacting it.
func Load(name string, opts ...Option) (*testbed.Testbed, error) {
	o := collectOptions(opts)
	l, err := newLayout(o.stateDir, name)
	if err != nil {
		return nil, err
	}
	return l.readTestbed()
}
