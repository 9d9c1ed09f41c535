package models

import "testing"

// TestMemberSeed pins the member seeds: changing them changes every simulated
// and real group run. Member 0 keeps the repetition's seed.
func TestMemberSeed(t *testing.T) {
	tests := []struct {
		seed uint64
		i    int
		want uint64
	}{
		{42, 0, 42},
		{42, 1, 13432527470776545160},
		{42, 2, 18105923034897077331},
		{42, 3, 17864077645780634326},
		{42, 7, 2038608524547893592},
		{0xfedcba9876543210, 0, 0xfedcba9876543210},
		{0xfedcba9876543210, 1, 16376259484750248514},
		{0xfedcba9876543210, 2, 12650355116089384272},
		{0xfedcba9876543210, 3, 10836941829771597598},
		{0xfedcba9876543210, 7, 4038621392551698067},
	}
	for _, tt := range tests {
		if got := MemberSeed(tt.seed, tt.i); got != tt.want {
			t.Errorf("MemberSeed(%d, %d) = %d, want %d", tt.seed, tt.i, got, tt.want)
		}
	}
}
