package models

// What an app's check writes. Before the freeze the harness runs the app's
// check (app.check.exec) to digest the state the migration must carry, and
// a check that reads can still write: memcached's GET records each item's
// access time and LRU flags, so a check that gets every key leaves every
// slab page soft-dirty, and the final dump sends the whole cache (on the
// TCG testbed, with the load stopped, CRIU's next pre-dump sent 5232 KiB,
// the whole 5276 KiB slab mapping, where it had sent 624-780 KiB every 2 s
// before the check). `migrlab profile` measures it (with the load paused,
// the pages a window dirties with the check less those it dirties without)
// and memory.check_touch tells the simulator; a cold dump sends everything
// anyway, so it changes only the final round of a live migration.

// FinalWithTouch is the final round's dirty pages of a live migration:
// the pages the load dirtied since the last round in union with the
// pages the check wrote (UnionWithMarked: where they fall is independent
// of the load's writes), over resident pages; dirty as it is without a
// check's touch or resident memory.
func (m Memory) FinalWithTouch(dirty, resident int64) int64 {
	if m.CheckTouch <= 0 || resident <= 0 || m.PageSize <= 0 {
		return dirty
	}
	touch := float64((m.CheckTouch + m.PageSize - 1) / m.PageSize)
	u := UnionWithMarked(float64(dirty), min(touch, float64(resident)), float64(resident))
	return max(dirty, int64(u+0.5))
}
