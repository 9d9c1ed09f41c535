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

// splitmix scrambles a hash into a well-mixed 64-bit seed.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
