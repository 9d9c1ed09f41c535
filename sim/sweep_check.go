package sim

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/migrlab/migrlab/models"
)

// checkChunk is how many scenarios a CheckSource worker takes at a time: the
// chunks, not the workers, fix how the estimate is summed, so it is the same
// whatever the number of workers.
const checkChunk = 512

// CheckSource builds every scenario of src on workers goroutines (0:
// GOMAXPROCS), holding none, and returns their estimated cost and the error of
// the first invalid one in index order (nil when all are valid). It is the
// check a sweep makes before it starts: a grid's scenarios are built twice,
// once here and once when they run, rather than held in memory.
func CheckSource(ctx context.Context, src Source, workers int) (models.SweepCost, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := src.Len()
	chunks := (n + checkChunk - 1) / checkChunk
	type part struct {
		cost models.SweepCost
		err  error
	}
	parts := make([]part, chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(chunks, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				p := &parts[c]
				for k := c * checkChunk; k < min(n, (c+1)*checkChunk); k++ {
					s, _, err := src.At(k)
					s = s.WithDefaults()
					if err == nil {
						if err = validate(s); err != nil {
							err = fmt.Errorf("sweep scenario %q: %w", s.Name, err)
						}
					}
					if err != nil {
						p.err = err
						break
					}
					p.cost.Add(s)
				}
			}
		}()
	}
	wg.Wait()
	var total models.SweepCost
	for _, p := range parts {
		if p.err != nil {
			return total, p.err
		}
		total.Merge(p.cost)
	}
	return total, ctx.Err()
}
