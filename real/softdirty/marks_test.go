package softdirty

import (
	"strconv"
	"strings"
	"testing"
)

// smapsEntry renders one mapping of /proc/PID/smaps as the kernel does.
func smapsEntry(rng, perms string, anonKB int, flags string) string {
	return rng + " " + perms + " 00000000 00:00 0 \n" +
		"Size:               1024 kB\nRss:                 512 kB\n" +
		"Anonymous:           " + strconv.Itoa(anonKB) + " kB\nTHPeligible:    0\n" +
		"VmFlags: " + flags + "\n"
}

func TestParseSmaps(t *testing.T) {
	text := smapsEntry("00400000-0052a000", "r-xp", 0, "rd ex mr mw me sd") +
		smapsEntry("01c5e000-01c7f000", "rw-p", 132, "rd wr mr mw me ac sd") +
		smapsEntry("7f2c40000000-7f2c40400000", "rw-p", 2048, "rd wr mr mw me ac") +
		smapsEntry("7f2c50000000-7f2c50001000", "rw-s", 4, "rd wr sh mr mw me ms sd")
	ms, err := ParseSmaps(strings.NewReader(text), 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := []SmapsMapping{{0x1c5e000, 0x1c7f000, 33, true}, {0x7f2c40000000, 0x7f2c40400000, 512, false}}
	if len(ms) != len(want) {
		t.Fatalf("got %d writable private mappings, want %d: %+v", len(ms), len(want), ms)
	}
	for i := range want {
		if ms[i] != want[i] {
			t.Errorf("mapping %d = %+v, want %+v", i, ms[i], want[i])
		}
	}
	if _, err := ParseSmaps(strings.NewReader("01c5e000-01c7f000 rw-p 00000000 00:00 0\nAnonymous: lots kB\n"), 4096); err == nil {
		t.Error("a malformed Anonymous field parsed")
	}
}

func TestMarkWatchCountsThePagesAMarkedMappingHeld(t *testing.T) {
	heap := SmapsMapping{Start: 0x1000, End: 0x101000, AnonPages: 200}
	arena := SmapsMapping{Start: 0x200000, End: 0x300000, AnonPages: 100}
	w := NewMarkWatch([]SmapsMapping{heap, arena})

	// Written, not marked: nothing.
	heap.AnonPages, arena.AnonPages = 210, 120
	if got := w.Next([]SmapsMapping{heap, arena}); got != 0 {
		t.Errorf("no mapping marked: %d pages, want 0", got)
	}
	// The arena grows by a merged mmap below it: marked whole, with the 120
	// pages it held before (its 30 new ones are growth).
	grown := SmapsMapping{Start: 0x1c0000, End: 0x300000, AnonPages: 150, Marked: true}
	if got := w.Next([]SmapsMapping{heap, grown}); got != 120 {
		t.Errorf("arena expanded: %d pages, want the 120 it held", got)
	}
	// Still marked, same range: counted once.
	if got := w.Next([]SmapsMapping{heap, grown}); got != 0 {
		t.Errorf("the same mark again: %d pages, want 0", got)
	}
	// A brand-new mapping is marked but held nothing before: growth only.
	fresh := SmapsMapping{Start: 0x900000, End: 0x980000, AnonPages: 40, Marked: true}
	if got := w.Next([]SmapsMapping{heap, grown, fresh}); got != 0 {
		t.Errorf("new mapping: %d pages, want 0", got)
	}
	// The marked arena expands again: a new mark of what it held (150).
	again := SmapsMapping{Start: 0x180000, End: 0x300000, AnonPages: 190, Marked: true}
	if got := w.Next([]SmapsMapping{heap, again, fresh}); got != 150 {
		t.Errorf("arena expanded again: %d pages, want 150", got)
	}
	// The heap's brk grows and merges nothing else: its 210 pages.
	brk := SmapsMapping{Start: 0x1000, End: 0x121000, AnonPages: 230, Marked: true}
	if got := w.Next([]SmapsMapping{brk, again, fresh}); got != 210 {
		t.Errorf("heap grew: %d pages, want 210", got)
	}
}
