package agent

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// statsFile builds a CRIU stats file: two magics, the entry size, then a
// stats_entry holding msg as field `field`.
func statsFile(field protowire.Number, msg []byte) []byte {
	var entry []byte
	entry = protowire.AppendTag(entry, field, protowire.BytesType)
	entry = protowire.AppendBytes(entry, msg)
	b := binary.LittleEndian.AppendUint32(nil, 0x55105940)
	b = binary.LittleEndian.AppendUint32(b, 0x57093306)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(entry)))
	return append(b, entry...)
}

func varints(kv ...uint64) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = protowire.AppendTag(b, protowire.Number(kv[i]), protowire.VarintType)
		b = protowire.AppendVarint(b, kv[i+1])
	}
	return b
}

func TestReadDumpStats(t *testing.T) {
	msg := varints(1, 1500, 2, 250000, 3, 12000, 4, 30000, 5, 16500, 6, 16000, 7, 420, 9, 0)
	// An unknown length-delimited field must be skipped.
	msg = protowire.AppendTag(msg, 99, protowire.BytesType)
	msg = protowire.AppendBytes(msg, []byte("x"))
	p := filepath.Join(t.TempDir(), StatsDumpFile)
	if err := os.WriteFile(p, statsFile(1, msg), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDumpStats(p)
	if err != nil {
		t.Fatal(err)
	}
	want := DumpStats{FreezingTime: 1500 * time.Microsecond, FrozenTime: 250 * time.Millisecond,
		MemdumpTime: 12 * time.Millisecond, MemwriteTime: 30 * time.Millisecond,
		PagesScanned: 16500, PagesSkippedParent: 16000, PagesWritten: 420}
	if got != want {
		t.Errorf("ReadDumpStats = %+v, want %+v", got, want)
	}
}

func TestReadRestoreStats(t *testing.T) {
	p := filepath.Join(t.TempDir(), StatsRestoreFile)
	os.WriteFile(p, statsFile(2, varints(1, 3, 2, 4, 3, 5000, 4, 900000, 5, 16384)), 0o600)
	got, err := ReadRestoreStats(p)
	if err != nil {
		t.Fatal(err)
	}
	want := RestoreStats{PagesCompared: 3, PagesSkippedCOW: 4, ForkingTime: 5 * time.Millisecond,
		RestoreTime: 900 * time.Millisecond, PagesRestored: 16384}
	if got != want {
		t.Errorf("ReadRestoreStats = %+v, want %+v", got, want)
	}
}

func TestStatsErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":           {1, 2, 3},
		"size too large":  append(statsFile(1, varints(7, 1))[:8], 0xff, 0xff, 0, 0),
		"restore in dump": statsFile(2, varints(1, 1)),
		"truncated":       statsFile(1, []byte{0x38}),
	} {
		if _, err := parseStatsEntryDump(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func parseStatsEntryDump(b []byte) ([]byte, error) {
	msg, err := parseStatsEntry(b, 1)
	if err != nil {
		return nil, err
	}
	return msg, eachVarint(msg, func(protowire.Number, uint64) {})
}
