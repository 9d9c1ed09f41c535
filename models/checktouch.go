package models

import "fmt"

// What an app's check writes. Before the freeze the harness runs the app's
// check (app.check.exec) to digest the state the migration must carry, and
// a check that reads can still write: memcached's GET records each item's
// access time and LRU flags, so a check that gets every key leaves every
// slab page soft-dirty, and the final dump sends the whole cache (on the
// TCG testbed, with the load stopped, CRIU's next pre-dump sent 5232 KiB,
// the whole 5276 KiB slab mapping, where it had sent 624-780 KiB every 2 s
// before the check). `migrlab profile` measures it (with the load paused,
// the pages a window dirties with the check less those it dirties without)
// and memory.check_touch tells the simulator, which sends it in a live
// migration's final round in union with what the load dirtied, as a mark
// (UnionWithMarked), and as one region with the marks that fall in that
// round (TouchedWithMarked); a cold dump sends everything anyway.
//
// The profile measures it after its passes, when a growing container holds
// what it grows to (memory.size); a migration that freezes it younger
// holds less, and a check that reads the dataset writes only what is
// there. What the container has yet to add is taken as dataset the check
// cannot have written (memcached's slabs: the cache it gets grows by them),
// so the check writes memory.check_touch less that (CheckTouchAt).

// validateCheckTouch checks memory.check_touch against the memory.
func (m Memory) validateCheckTouch() error {
	if m.CheckTouch < 0 || m.CheckTouch > m.Size {
		return fmt.Errorf("memory.check_touch: must be between 0 (the check writes nothing) and memory.size (%s), got %s", m.Size, m.CheckTouch)
	}
	return nil
}

// CheckTouchAt is what the check writes when the container holds resident:
// CheckTouch less the memory it has yet to add (Size - resident), at least
// 0; CheckTouch itself for a container that does not grow.
func (m Memory) CheckTouchAt(resident ByteSize) ByteSize {
	if !m.Growing() {
		return m.CheckTouch
	}
	return max(0, m.CheckTouch-max(0, m.Size-resident))
}

// TouchedWithMarked is what a live migration's final round holds besides
// what the load wrote, when the check wrote touch and the marks in its
// window are worth marked (bytes): the larger of the two. The check reads
// the app's data, and a whole-mapping mark holds that data too (memcached's
// gets touch the items of the slab mapping its marks send whole), so the
// two are one region, not independent draws: counted apart, held-out set
// N's memcached probes were predicted final rounds of 1890-2039 pages
// where they sent 1057-1340.
func TouchedWithMarked(touch, marked float64) float64 { return max(touch, marked) }
