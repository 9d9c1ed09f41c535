// Package softdirty counts the pages a process has dirtied since CRIU last
// cleared its soft-dirty bits, by reading /proc/PID/maps and /proc/PID/pagemap
// (see the kernel's Documentation/admin-guide/mm/soft-dirty.rst and pagemap.rst).
// MiGrror uses it to decide when a sync round is due.
//
// It only reads. It never writes /proc/PID/clear_refs: clearing the bits behind
// CRIU's back makes the next pre-dump skip pages that did change, and the
// restored memory is then silently wrong (docs/real.md, "Host facts the backend relies on"). Only CRIU clears them.
//
// Soft-dirty needs a kernel with CONFIG_MEM_SOFT_DIRTY (x86_64, ppc64le, s390x;
// not arm64). Without it the bit reads as 0 everywhere and every count of dirty
// pages is zero; Supported tells which case holds. Right after a process starts,
// or after a CRIU restore, every page reads as soft-dirty.
package softdirty

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// Bits of a pagemap entry.
const (
	// BitPresent is set when the page is in RAM.
	BitPresent = 63
	// BitSwapped is set when the page is in swap.
	BitSwapped = 62
	// BitFile is set when the page is a file page or shared anonymous
	// memory: clear on a private mapping's anonymous (copy-on-write) pages.
	BitFile = 61
	// BitExclusive is set when the page is mapped exclusively (kernel 4.2+).
	BitExclusive = 56
	// BitSoftDirty is set when the page was written since the soft-dirty bits
	// were last cleared (or its mapping was created).
	BitSoftDirty = 55
)

// EntrySize is the size of one pagemap entry in bytes.
const EntrySize = 8

// Counts counts the pages of one or more mappings.
type Counts struct {
	// Pages is the number of pages mapped.
	Pages uint64
	// Present is the number of pages in RAM.
	Present uint64
	// Swapped is the number of pages in swap.
	Swapped uint64
	// SoftDirty is the number of entries with the soft-dirty bit, resident or
	// not (a new mapping reports soft-dirty holes too).
	SoftDirty uint64
	// Dirty is the number of present and soft-dirty pages: what the next CRIU
	// pre-dump of this memory would write (plus DirtySwapped).
	Dirty uint64
	// DirtySwapped is the number of swapped and soft-dirty pages.
	DirtySwapped uint64
	// Anon is the number of anonymous pages (present or swapped, not a
	// file page): what a full CRIU dump of a private mapping writes.
	Anon uint64
}

// Add adds c2 to c.
func (c *Counts) Add(c2 Counts) {
	c.Pages += c2.Pages
	c.Present += c2.Present
	c.Swapped += c2.Swapped
	c.SoftDirty += c2.SoftDirty
	c.Dirty += c2.Dirty
	c.DirtySwapped += c2.DirtySwapped
	c.Anon += c2.Anon
}

// CountEntries counts the pagemap entries in b (native byte order, as read
// from /proc/PID/pagemap); a trailing partial entry is ignored.
func CountEntries(b []byte) Counts {
	var c Counts
	for ; len(b) >= EntrySize; b = b[EntrySize:] {
		e := binary.NativeEndian.Uint64(b)
		present, swapped, sd := e>>BitPresent&1 == 1, e>>BitSwapped&1 == 1, e>>BitSoftDirty&1 == 1
		c.Pages++
		if (present || swapped) && e>>BitFile&1 == 0 {
			c.Anon++
		}
		switch {
		case present:
			c.Present++
		case swapped:
			c.Swapped++
		}
		if sd {
			c.SoftDirty++
			switch {
			case present:
				c.Dirty++
			case swapped:
				c.DirtySwapped++
			}
		}
	}
	return c
}

// MappingCounts is the count of one mapping.
type MappingCounts struct {
	Mapping
	Counts
}

// Result is the outcome of Scan.
type Result struct {
	// Total sums the mappings.
	Total Counts
	// Mappings are the writable private mappings, in address order.
	Mappings []MappingCounts
}

// Scan counts the pages of the writable private mappings of process pid
// (what CRIU dumps as anonymous or private memory). Reading another process's
// pagemap needs ptrace access to it (root, or the same user without Yama
// restrictions).
func Scan(pid int) (Result, error) {
	return scan(pid, func(m Mapping) bool { return m.Writable() && m.Private() }, false)
}

// Dumpable counts the anonymous pages of every private mapping of process
// pid, writable or not (a read-only mapping still holds the pages written
// before it was protected, such as relocations): the pages a full CRIU
// dump writes (Counts.Anon). The kernel's [vdso], [vvar] and [vsyscall]
// are left out, as CRIU leaves them, and so is a mapping that cannot be
// read (a guard page, or one gone meanwhile).
func Dumpable(pid int) (Counts, error) {
	res, err := scan(pid, func(m Mapping) bool {
		return m.Private() && m.Path != "[vdso]" && m.Path != "[vvar]" && m.Path != "[vsyscall]"
	}, true)
	return res.Total, err
}

// scan counts the pages of pid's mappings that keep selects; a mapping
// that cannot be read fails the scan unless skipUnreadable.
func scan(pid int, keep func(Mapping) bool, skipUnreadable bool) (Result, error) {
	maps, err := os.Open(procPath(pid, "maps"))
	if err != nil {
		return Result{}, err
	}
	defer maps.Close()
	ms, err := ParseMaps(maps)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", maps.Name(), err)
	}
	pm, err := os.Open(procPath(pid, "pagemap"))
	if err != nil {
		return Result{}, err
	}
	defer pm.Close()
	var res Result
	buf := make([]byte, 8192*EntrySize)
	for _, m := range ms {
		if !keep(m) {
			continue
		}
		c, err := countMapping(pm, m, buf)
		if err != nil {
			if skipUnreadable {
				continue
			}
			return Result{}, fmt.Errorf("%s at %x-%x: %w", pm.Name(), m.Start, m.End, err)
		}
		res.Mappings = append(res.Mappings, MappingCounts{m, c})
		res.Total.Add(c)
	}
	return res, nil
}

// countMapping reads the pagemap entries of m in chunks of len(buf).
func countMapping(pm io.ReaderAt, m Mapping, buf []byte) (Counts, error) {
	var c Counts
	ps := uint64(os.Getpagesize())
	for page, end := m.Start/ps, m.End/ps; page < end; {
		n := min(end-page, uint64(len(buf)/EntrySize))
		got, err := pm.ReadAt(buf[:n*EntrySize], int64(page*EntrySize))
		if got < EntrySize {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return c, err // the mapping went away, or an unreadable pagemap
		}
		c.Add(CountEntries(buf[:got]))
		page += uint64(got / EntrySize)
	}
	return c, nil
}

func procPath(pid int, file string) string {
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}

// ErrNotResident is returned by Supported when its probe page was not present.
var ErrNotResident = errors.New("softdirty: probe page not resident")

// Supported reports whether this kernel tracks soft-dirty bits
// (CONFIG_MEM_SOFT_DIRTY). It maps a fresh page in this process, writes it and
// reads its pagemap entry: a kernel that tracks soft-dirty marks every page of
// a new mapping soft-dirty; one that does not never sets the bit.
func Supported() (bool, error) {
	ps := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, ps, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return false, err
	}
	defer syscall.Munmap(mem)
	mem[0] = 1
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return false, err
	}
	defer f.Close()
	var e [EntrySize]byte
	addr := uint64(uintptr(unsafe.Pointer(&mem[0])))
	if _, err := f.ReadAt(e[:], int64(addr/uint64(ps)*EntrySize)); err != nil {
		return false, err
	}
	c := CountEntries(e[:])
	if c.Present != 1 {
		return false, ErrNotResident
	}
	return c.Dirty == 1, nil
}
