package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/migrlab/migrlab/real/softdirty"
)

// A dirtying pass (migrlab profile): the agent clears the soft-dirty bits of
// a container's processes and counts, at each window after the clear, the
// distinct pages written since. One pass gives the whole curve: the pages a
// container dirties within a window of time, for every window asked.

// Limits of a dirtying pass.
const (
	// MaxDirtyingWindows bounds the windows of one pass.
	MaxDirtyingWindows = 64
	// MaxDirtyingWindow bounds the longest window of one pass.
	MaxDirtyingWindow = 5 * time.Minute
)

// DirtyingRequest asks for one dirtying pass.
type DirtyingRequest struct {
	// Windows after the clear at which to count, increasing, each > 0.
	Windows []time.Duration `json:"windows_ns"`
}

// Validate checks the windows; the error names the fix.
func (q DirtyingRequest) Validate() error {
	if len(q.Windows) == 0 || len(q.Windows) > MaxDirtyingWindows {
		return fmt.Errorf("dirtying: give 1 to %d windows, got %d", MaxDirtyingWindows, len(q.Windows))
	}
	for i, w := range q.Windows {
		if w <= 0 || w > MaxDirtyingWindow || (i > 0 && w <= q.Windows[i-1]) {
			return fmt.Errorf("dirtying: windows must increase, each above 0 and at most %s; window %d is %s", MaxDirtyingWindow, i, w)
		}
	}
	return nil
}

// DirtyingPass is what one pass measured.
type DirtyingPass struct {
	// Windows are the windows as they were measured: from the middle of the
	// clear to the middle of each count.
	Windows []time.Duration `json:"windows_ns"`
	// Pages are the distinct pages written within each window (resident or
	// swapped), summed over the container's processes.
	Pages []uint64 `json:"pages"`
	// Resident is the anonymous pages of the private mappings after the
	// last count (softdirty.Dumpable): what a full dump writes.
	Resident uint64 `json:"resident_pages"`
	// Anon are the anonymous pages of the writable private mappings at
	// each count, and AnonAtClear before the clear: how a growing container
	// grew within each window.
	Anon        []uint64 `json:"anon_pages,omitempty"`
	AnonAtClear uint64   `json:"anon_pages_at_clear,omitempty"`
	// Marks are the mappings the kernel marked soft-dirty whole within
	// the pass (grown or merged; softdirty.MarkWatch), polled every
	// MarkPoll: when, and how many pages they held before.
	Marks []Mark `json:"marks,omitempty"`
	// PageSize is the host's page size.
	PageSize int `json:"page_size"`
	// Processes is how many processes the container had.
	Processes int `json:"processes"`
}

// Mark is one poll's whole-mapping marks: At after the clear (as
// Windows), Pages the pages the marked mappings held before.
type Mark struct {
	At    time.Duration `json:"at_ns"`
	Pages uint64        `json:"pages"`
}

// MarkPoll is how often a dirtying pass reads the container's smaps for
// whole-mapping marks between its counts.
const MarkPoll = 200 * time.Millisecond

// Dirtying runs one dirtying pass over container id; it returns after the
// longest window.
func (c *Client) Dirtying(ctx context.Context, id string, req DirtyingRequest) (DirtyingPass, error) {
	var v DirtyingPass
	return v, c.do(ctx, http.MethodPost, "/v1/containers/"+url.PathEscape(id)+"/dirtying", req, &v)
}

// handleDirtying runs a dirtying pass. It holds the container's lock (no
// round runs meanwhile) and refuses a container with a pre-dump chain:
// clearing the bits under a chain corrupts its restore.
func (s *Server) handleDirtying(w http.ResponseWriter, r *http.Request) {
	var req DirtyingRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if err := req.Validate(); err != nil {
		writeErr(w, statusErr(http.StatusBadRequest, err))
		return
	}
	c, err := s.container(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer s.lock(c.ID)()
	if !c.Running || c.PID == 0 {
		writeErr(w, statusErr(http.StatusConflict, fmt.Errorf("container %s is %s, not running", c.Name, c.State)))
		return
	}
	if _, err := os.Stat(filepath.Join(c.UserData, chainDir)); err == nil {
		writeErr(w, statusErr(http.StatusConflict, fmt.Errorf("container %s has a pre-dump chain (a migration of it is in flight or was interrupted): "+
			"profiling it would corrupt that migration's restore; profile a container no migration touches", c.Name)))
		return
	}
	pass, err := dirtyingPass(r.Context(), softdirty.GroupPids(c.PID), req.Windows)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, pass)
}

// scanGroup sums the soft-dirty counts of pids (softdirty.Scan); a process
// that ended meanwhile counts nothing, but the first must be readable.
func scanGroup(pids []int) (softdirty.Counts, error) {
	var total softdirty.Counts
	for _, pid := range pids {
		res, err := softdirty.Scan(pid)
		if err != nil && pid == pids[0] {
			return total, fmt.Errorf("soft-dirty scan of pid %d: %w", pid, err)
		}
		total.Add(res.Total)
	}
	return total, nil
}

// dirtyingPass clears the bits of pids, counts at each window and, between
// the counts, polls for whole-mapping marks.
func dirtyingPass(ctx context.Context, pids []int, windows []time.Duration) (DirtyingPass, error) {
	p := DirtyingPass{PageSize: os.Getpagesize(), Processes: len(pids)}
	before, err := scanGroup(pids)
	if err != nil {
		return p, err
	}
	p.AnonAtClear = before.Anon
	start := time.Now()
	for _, pid := range pids {
		if err := softdirty.ClearForProfile(pid); err != nil && !errors.Is(err, os.ErrNotExist) {
			return p, fmt.Errorf("clearing the soft-dirty bits of pid %d: %w", pid, err)
		}
	}
	t0 := start.Add(time.Since(start) / 2)
	marks := newGroupMarks(pids)
	for _, w := range windows {
		for {
			d := time.Until(t0.Add(w))
			if d <= 0 {
				break
			}
			t := time.NewTimer(min(d, MarkPoll))
			select {
			case <-ctx.Done():
				t.Stop()
				return p, ctx.Err()
			case <-t.C:
			}
			if n := marks.poll(); n > 0 {
				p.Marks = append(p.Marks, Mark{At: time.Since(t0), Pages: n})
			}
		}
		at := time.Now()
		total, err := scanGroup(pids)
		if err != nil {
			return p, err
		}
		p.Windows = append(p.Windows, at.Add(time.Since(at)/2).Sub(t0))
		p.Pages = append(p.Pages, total.Dirty+total.DirtySwapped)
		p.Anon = append(p.Anon, total.Anon)
	}
	for _, pid := range pids {
		c, err := softdirty.Dumpable(pid)
		if err != nil && pid == pids[0] {
			return p, fmt.Errorf("counting the dumpable pages of pid %d: %w", pid, err)
		}
		p.Resident += c.Anon
	}
	return p, nil
}

// groupMarks watches the whole-mapping marks of a container's processes; a
// process whose smaps cannot be read (it ended) counts nothing.
type groupMarks struct {
	pids    []int
	watches []*softdirty.MarkWatch
}

// newGroupMarks starts watching pids from their mappings now (right after
// the clear).
func newGroupMarks(pids []int) *groupMarks {
	g := &groupMarks{pids: pids}
	for _, pid := range pids {
		ms, _ := softdirty.Smaps(pid)
		g.watches = append(g.watches, softdirty.NewMarkWatch(ms))
	}
	return g
}

// poll returns the pages marked whole since the last poll.
func (g *groupMarks) poll() uint64 {
	var n uint64
	for i, pid := range g.pids {
		if ms, err := softdirty.Smaps(pid); err == nil {
			n += g.watches[i].Next(ms)
		}
	}
	return n
}
