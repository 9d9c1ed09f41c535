package models

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
)

// DeriveSeed derives the random seed of one repetition of a scenario from the
// scenario's name, its workload and the repetition number, plus the scenario's
// base seed. The technique is deliberately not part of it: every technique of a
// repetition faces exactly the same workload.
func DeriveSeed(s Scenario, repetition int) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s.Name))
	h.Write([]byte{0})
	w, _ := json.Marshal(struct {
		M Memory
		W Workload
	}{s.Memory, s.Workload})
	h.Write(w)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(repetition))
	binary.LittleEndian.PutUint64(b[8:], s.Seed)
	h.Write(b[:])
	return splitmix(h.Sum64())
}

// MemberSeed returns the seed of the i-th container (0-based) of a group in a
// repetition whose seed is seed (DeriveSeed): member 0 keeps seed, member
// i > 0 gets splitmix64(seed + i). The simulator and the real backend both use
// it, so the i-th container writes the same pattern in both worlds.
func MemberSeed(seed uint64, i int) uint64 {
	if i == 0 {
		return seed
	}
	return splitmix(seed + uint64(i))
}

// splitmix is the splitmix64 step: it scrambles x into a well-mixed 64-bit
// value (a bijection).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
