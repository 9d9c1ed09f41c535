package models

// RoundsLender is an Env that lends a technique the storage for its
// Result.Rounds. A simulator sweep worker runs hundreds of thousands of
// migrations whose rounds it reads once, into a record, and then drops: it
// lends one slice from migration to migration instead of the 40 KB a
// MiGrror run's rounds take (one sync per min_interval), most of a sweep's
// garbage. An Env that does not implement it, or lends nil, costs nothing.
type RoundsLender interface {
	// LendRounds returns an empty slice (its length 0) whose storage the
	// migration may use until its Result has been read.
	LendRounds() []Round
}

// newRounds returns an empty slice for a migration's rounds with room for n:
// env's lent slice when it has that room, else a new one (nil for n 0).
func newRounds(env Env, n int) []Round {
	if l, ok := env.(RoundsLender); ok {
		if rs := l.LendRounds(); rs != nil && cap(rs) >= n {
			return rs[:0]
		}
	}
	if n == 0 {
		return nil
	}
	return make([]Round, 0, n)
}
