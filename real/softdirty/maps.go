package softdirty

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Mapping is one line of /proc/PID/maps.
type Mapping struct {
	// Start and End are the mapping's addresses [Start, End).
	Start, End uint64
	// Perms is the permission string, for example "rw-p".
	Perms string
	// Offset is the offset into the mapped file.
	Offset uint64
	// Dev is the device of the mapped file ("major:minor").
	Dev string
	// Inode is the inode of the mapped file (0 for anonymous memory).
	Inode uint64
	// Path is the mapped file or a pseudo-name such as "[heap]"; empty for
	// anonymous memory.
	Path string
}

// Writable reports whether the mapping may be written.
func (m Mapping) Writable() bool { return len(m.Perms) > 1 && m.Perms[1] == 'w' }

// Private reports whether the mapping is private (copy on write), not shared.
func (m Mapping) Private() bool { return len(m.Perms) > 3 && m.Perms[3] == 'p' }

// ParseMaps parses the contents of /proc/PID/maps.
func ParseMaps(r io.Reader) ([]Mapping, error) {
	var ms []Mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		m, err := parseMapsLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		ms = append(ms, m)
	}
	return ms, sc.Err()
}

// parseMapsLine parses "start-end perms offset dev inode [path]"; the path may
// contain spaces.
func parseMapsLine(line string) (Mapping, error) {
	var f [5]string
	rest := line
	for i := range f {
		rest = strings.TrimLeft(rest, " \t")
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		f[i], rest = rest[:end], rest[end:]
	}
	var m Mapping
	lo, hi, ok := strings.Cut(f[0], "-")
	var err1, err2, err3, err4 error
	m.Start, err1 = strconv.ParseUint(lo, 16, 64)
	m.End, err2 = strconv.ParseUint(hi, 16, 64)
	m.Offset, err3 = strconv.ParseUint(f[2], 16, 64)
	m.Inode, err4 = strconv.ParseUint(f[4], 10, 64)
	if !ok || err1 != nil || err2 != nil || err3 != nil || err4 != nil || m.End < m.Start || len(f[1]) != 4 {
		return Mapping{}, fmt.Errorf("malformed maps line %q", line)
	}
	m.Perms, m.Dev, m.Path = f[1], f[3], strings.TrimLeft(rest, " \t")
	return m, nil
}
