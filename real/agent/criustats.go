package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// DumpStats are CRIU's statistics of one dump or pre-dump, read from the
// stats-dump file CRIU writes into its work directory (images/stats.proto,
// dump_stats_entry). CRIU measures times in microseconds.
type DumpStats struct {
	// FreezingTime is how long freezing the process tree took.
	FreezingTime time.Duration `json:"freezing_ns"`
	// FrozenTime is how long the tree stayed frozen.
	FrozenTime time.Duration `json:"frozen_ns"`
	// MemdumpTime is the time spent collecting the memory (into pipes).
	MemdumpTime time.Duration `json:"memdump_ns"`
	// MemwriteTime is the time spent writing the memory to the images.
	MemwriteTime time.Duration `json:"memwrite_ns"`
	// PagesScanned, PagesSkippedParent and PagesWritten count pages: scanned,
	// skipped because the parent image holds them unchanged, and written.
	PagesScanned       uint64 `json:"pages_scanned"`
	PagesSkippedParent uint64 `json:"pages_skipped_parent"`
	PagesWritten       uint64 `json:"pages_written"`
	// PagesLazy counts pages left for lazy (post-copy) transfer.
	PagesLazy uint64 `json:"pages_lazy"`
}

// RestoreStats are CRIU's statistics of one restore (stats-restore,
// restore_stats_entry).
type RestoreStats struct {
	PagesCompared   uint64        `json:"pages_compared"`
	PagesSkippedCOW uint64        `json:"pages_skipped_cow"`
	ForkingTime     time.Duration `json:"forking_ns"`
	RestoreTime     time.Duration `json:"restore_ns"`
	PagesRestored   uint64        `json:"pages_restored"`
}

// Stats file names CRIU writes into its work directory.
const (
	StatsDumpFile    = "stats-dump"
	StatsRestoreFile = "stats-restore"
)

// statsHeader is the size of the two image magics and the entry size that
// precede the protobuf stats_entry in a CRIU stats file.
const statsHeader = 12

// ReadDumpStats reads a CRIU stats-dump file.
func ReadDumpStats(path string) (DumpStats, error) {
	var s DumpStats
	msg, err := readStatsEntry(path, 1)
	if err != nil {
		return s, err
	}
	err = eachVarint(msg, func(num protowire.Number, v uint64) {
		switch num {
		case 1:
			s.FreezingTime = usec(v)
		case 2:
			s.FrozenTime = usec(v)
		case 3:
			s.MemdumpTime = usec(v)
		case 4:
			s.MemwriteTime = usec(v)
		case 5:
			s.PagesScanned = v
		case 6:
			s.PagesSkippedParent = v
		case 7:
			s.PagesWritten = v
		case 9:
			s.PagesLazy = v
		}
	})
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ReadRestoreStats reads a CRIU stats-restore file.
func ReadRestoreStats(path string) (RestoreStats, error) {
	var s RestoreStats
	msg, err := readStatsEntry(path, 2)
	if err != nil {
		return s, err
	}
	err = eachVarint(msg, func(num protowire.Number, v uint64) {
		switch num {
		case 1:
			s.PagesCompared = v
		case 2:
			s.PagesSkippedCOW = v
		case 3:
			s.ForkingTime = usec(v)
		case 4:
			s.RestoreTime = usec(v)
		case 5:
			s.PagesRestored = v
		}
	})
	if err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func usec(v uint64) time.Duration { return time.Duration(v) * time.Microsecond }

// readStatsEntry returns the embedded message with field number field (1:
// dump, 2: restore) of the stats_entry in a CRIU stats file.
func readStatsEntry(path string, field protowire.Number) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseStatsEntry(b, field)
}

func parseStatsEntry(b []byte, field protowire.Number) ([]byte, error) {
	if len(b) < statsHeader {
		return nil, fmt.Errorf("CRIU stats file of %d bytes is too short", len(b))
	}
	size := int(binary.LittleEndian.Uint32(b[8:12]))
	if size > len(b)-statsHeader {
		return nil, fmt.Errorf("CRIU stats entry of %d bytes in a file of %d", size, len(b))
	}
	b = b[statsHeader : statsHeader+size]
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.BytesType && num == field {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			return v, nil
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return nil, errors.New("CRIU stats file has no entry of the wanted kind")
}

// eachVarint calls f for every varint field of msg and skips the others.
func eachVarint(msg []byte, f func(protowire.Number, uint64)) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		if typ == protowire.VarintType {
			v, n := protowire.ConsumeVarint(msg)
			if n < 0 {
				return protowire.ParseError(n)
			}
			f(num, v)
			msg = msg[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, msg)
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
	}
	return nil
}
