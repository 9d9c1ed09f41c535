package softdirty

import (
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

const (
	present   = uint64(1) << BitPresent
	swapped   = uint64(1) << BitSwapped
	softDirty = uint64(1) << BitSoftDirty
	exclusive = uint64(1) << BitExclusive
	filePage  = uint64(1) << BitFile
)

func entries(es ...uint64) []byte {
	b := make([]byte, 0, len(es)*EntrySize)
	for _, e := range es {
		b = binary.NativeEndian.AppendUint64(b, e)
	}
	return b
}

func TestCountEntries(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want Counts
	}{
		{"empty", nil, Counts{}},
		{"hole", entries(0), Counts{Pages: 1}},
		{"clean present page with a PFN", entries(present | exclusive | 0x1234), Counts{Pages: 1, Present: 1, Anon: 1}},
		{"dirty present", entries(present | softDirty), Counts{Pages: 1, Present: 1, SoftDirty: 1, Dirty: 1, Anon: 1}},
		{"soft-dirty hole of a new mapping", entries(softDirty), Counts{Pages: 1, SoftDirty: 1}},
		{"dirty swapped", entries(swapped | softDirty | 0x42), Counts{Pages: 1, Swapped: 1, SoftDirty: 1, DirtySwapped: 1, Anon: 1}},
		{"a file page is not anonymous", entries(present | filePage), Counts{Pages: 1, Present: 1}},
		{"mixed", entries(present|softDirty, present, 0, softDirty, swapped, present|softDirty|exclusive, swapped|softDirty, present|filePage),
			Counts{Pages: 8, Present: 4, Swapped: 2, SoftDirty: 4, Dirty: 2, DirtySwapped: 1, Anon: 5}},
		{"trailing partial entry ignored", append(entries(present|softDirty), 1, 2, 3), Counts{Pages: 1, Present: 1, SoftDirty: 1, Dirty: 1, Anon: 1}},
		{"bit 54 is not soft-dirty", entries(present | 1<<54), Counts{Pages: 1, Present: 1, Anon: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountEntries(tt.b); got != tt.want {
				t.Errorf("CountEntries = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseMaps(t *testing.T) {
	const maps = `00400000-0052a000 r-xp 00000000 08:01 1311 /usr/local/bin/migrlab workload
0072a000-0074b000 rw-p 0012a000 08:01 1311                               /usr/local/bin/migrlab workload
01c5e000-01c7f000 rw-p 00000000 00:00 0                                  [heap]
7f2c40000000-7f2c44000000 rw-p 00000000 00:00 0 
7f2c50000000-7f2c50001000 rw-s 00000000 00:05 2048                       /dev/zero (deleted)

ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`
	ms, err := ParseMaps(strings.NewReader(maps))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		m                 Mapping
		writable, private bool
	}{
		{Mapping{0x400000, 0x52a000, "r-xp", 0, "08:01", 1311, "/usr/local/bin/migrlab workload"}, false, true},
		{Mapping{0x72a000, 0x74b000, "rw-p", 0x12a000, "08:01", 1311, "/usr/local/bin/migrlab workload"}, true, true},
		{Mapping{0x1c5e000, 0x1c7f000, "rw-p", 0, "00:00", 0, "[heap]"}, true, true},
		{Mapping{0x7f2c40000000, 0x7f2c44000000, "rw-p", 0, "00:00", 0, ""}, true, true},
		{Mapping{0x7f2c50000000, 0x7f2c50001000, "rw-s", 0, "00:05", 2048, "/dev/zero (deleted)"}, true, false},
		{Mapping{0xffffffffff600000, 0xffffffffff601000, "--xp", 0, "00:00", 0, "[vsyscall]"}, false, true},
	}
	if len(ms) != len(want) {
		t.Fatalf("got %d mappings, want %d: %+v", len(ms), len(want), ms)
	}
	for i, w := range want {
		if ms[i] != w.m || ms[i].Writable() != w.writable || ms[i].Private() != w.private {
			t.Errorf("mapping %d = %+v (writable %v, private %v), want %+v (%v, %v)",
				i, ms[i], ms[i].Writable(), ms[i].Private(), w.m, w.writable, w.private)
		}
	}
}

func TestParseMapsRejectsMalformed(t *testing.T) {
	for _, line := range []string{
		"00400000 r-xp 00000000 08:01 1311",
		"zz-0052a000 r-xp 00000000 08:01 1311",
		"00400000-0052a000 r-xp 00000000 08:01",
		"00400000-0052a000 rw 00000000 08:01 1311",
		"00500000-00400000 r-xp 00000000 08:01 1311",
	} {
		if _, err := ParseMaps(strings.NewReader(line + "\n")); err == nil {
			t.Errorf("ParseMaps(%q): no error", line)
		}
	}
}

// TestScanSelf maps 64 pages between two PROT_NONE guard pages (so the kernel
// cannot merge them with a neighbouring mapping), touches 10 of them and
// checks the counts of exactly that mapping.
func TestScanSelf(t *testing.T) {
	ps := os.Getpagesize()
	const pages, touched = 64, 10
	mem, err := syscall.Mmap(-1, 0, (pages+2)*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[:ps], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mprotect(mem[(pages+1)*ps:], syscall.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	body := mem[ps : (pages+1)*ps]
	syscall.Madvise(body, syscall.MADV_NOHUGEPAGE)
	for i := range touched {
		body[(i*6+1)*ps] = 1 // pages 1, 7, ..., 55
	}
	sd, err := Supported()
	if err != nil {
		t.Fatal(err)
	}
	res, err := Scan(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	start := uint64(uintptr(unsafe.Pointer(&body[0])))
	want := Counts{Pages: pages, Present: touched, Anon: touched}
	if sd {
		// A new mapping is soft-dirty throughout, holes included.
		want.SoftDirty, want.Dirty = pages, touched
	}
	var total Counts
	found := false
	for _, m := range res.Mappings {
		total.Add(m.Counts)
		if m.Start == start {
			found = true
			if m.End != start+uint64(pages*ps) || m.Counts != want {
				t.Errorf("mapping %x-%x: %+v, want end %x and %+v", m.Start, m.End, m.Counts, start+uint64(pages*ps), want)
			}
		}
	}
	if !found {
		t.Fatalf("no mapping starts at %x", start)
	}
	if total != res.Total {
		t.Errorf("Total %+v is not the sum of the mappings %+v", res.Total, total)
	}
	t.Logf("soft-dirty supported: %v; self: %+v over %d writable private mappings", sd, res.Total, len(res.Mappings))
}

func TestScanMissingProcess(t *testing.T) {
	if _, err := Scan(1 << 30); err == nil {
		t.Error("Scan of a process that does not exist: no error")
	}
}

func TestUnifiedPathAndPids(t *testing.T) {
	p, ok := unifiedPath([]byte("12:cpu:/x\n0::/machine.slice/libpod-abc.scope/container\n"))
	if !ok || p != "/machine.slice/libpod-abc.scope/container" {
		t.Fatalf("unifiedPath = %q, %v", p, ok)
	}
	if _, ok := unifiedPath([]byte("0::/a/../../etc\n")); ok {
		t.Fatal("a path with .. was taken")
	}
	if _, ok := unifiedPath([]byte("1:name=systemd:/x\n")); ok {
		t.Fatal("a v1-only file gave a path")
	}
	got := withFirst(7, ParsePids([]byte("12\n7\n3\nx\n")))
	if want := []int{7, 3, 12}; !slices.Equal(got, want) {
		t.Fatalf("withFirst = %v, want %v", got, want)
	}
	if got := withFirst(9, nil); !slices.Equal(got, []int{9}) {
		t.Fatalf("withFirst(9, nil) = %v", got)
	}
}

// TestClearForProfile dirties a page, clears the bits and sees them clear,
// then written again (where the kernel tracks soft-dirty bits).
func TestClearForProfile(t *testing.T) {
	if ok, err := Supported(); err != nil || !ok {
		t.Skipf("no soft-dirty tracking here (%v)", err)
	}
	pid := os.Getpid()
	if GroupPids(pid)[0] != pid {
		t.Fatal("GroupPids does not start with the process itself")
	}
	mem, err := syscall.Mmap(-1, 0, 64*os.Getpagesize(), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	for i := range 64 {
		mem[i*os.Getpagesize()] = 1
	}
	if err := ClearForProfile(pid); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	count := func() uint64 {
		f, err := os.Open("/proc/self/pagemap")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c, err := countMapping(f, Mapping{Start: uint64(uintptr(unsafe.Pointer(&mem[0]))), End: uint64(uintptr(unsafe.Pointer(&mem[0]))) + uint64(len(mem))}, make([]byte, 4096))
		if err != nil {
			t.Fatal(err)
		}
		return c.Dirty
	}
	if n := count(); n != 0 {
		t.Fatalf("after the clear: %d dirty pages of 64, want 0", n)
	}
	for i := range 10 {
		mem[i*os.Getpagesize()] = 2
	}
	if n := count(); n != 10 {
		t.Fatalf("after writing 10 pages: %d dirty, want 10", n)
	}
}

// TestDumpable counts this process's anonymous pages of private mappings:
// a freshly written private buffer's pages are among them, and stay among
// them once the buffer is made read-only.
func TestDumpable(t *testing.T) {
	ps := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 256*ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	before, err := Dumpable(os.Getpid())
	if err != nil {
		t.Skipf("no pagemap here: %v", err)
	}
	for i := range 256 {
		mem[i*ps] = 1
	}
	after, err := Dumpable(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.Anon < before.Anon+200 || after.Anon < 256 {
		t.Errorf("anonymous pages %d before writing 256 pages, %d after", before.Anon, after.Anon)
	}
	// Read-only now: its pages are still what a dump writes.
	if err := syscall.Mprotect(mem, syscall.PROT_READ); err != nil {
		t.Fatal(err)
	}
	ro, err := Dumpable(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ro.Anon+16 < after.Anon {
		t.Errorf("after mprotect(PROT_READ): %d anonymous pages, %d before: a read-only private mapping's pages were left out", ro.Anon, after.Anon)
	}
}
