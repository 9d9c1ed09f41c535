package models

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Backends a record can come from.
const (
	BackendSim      = "sim"
	BackendAnalytic = "analytic"
	BackendReal     = "real"
)

// RecordSchema is the version of the record format; bump it on breaking changes.
const RecordSchema = 1

// Record is one (scenario, technique, backend, repetition) outcome. Values are in
// base units (seconds, bytes) and the JSON field names carry the unit.
type Record struct {
	Schema     int    `json:"schema"`
	Scenario   string `json:"scenario"`
	Technique  string `json:"technique"`
	Backend    string `json:"backend"`
	Repetition int    `json:"repetition"`
	Seed       uint64 `json:"seed"`
	// Role says what the scenario was used for in a comparison (empty
	// outside comparisons).
	Role Role `json:"role,omitempty"`
	// Sweep places the record in its sweep's grid (nil outside sweeps).
	Sweep   *SweepRef `json:"sweep,omitempty"`
	Metrics Metrics   `json:"metrics"`
	// Interval is a prediction's interval under the calibration's spread
	// (nil: none, for example without a calibration).
	Interval *Interval     `json:"interval,omitempty"`
	Rounds   []RoundRecord `json:"rounds,omitempty"`
	// Flags say why a real migration is not comparable with its prediction
	// (it ran outside the calibration's envelope): it is kept, not scored.
	Flags []string `json:"flags,omitempty"`
	// Error is set when the migration failed; Metrics then hold what was measured.
	Error string `json:"error,omitempty"`
	// Fault describes a fault injected into a real migration and what it did.
	Fault      *FaultReport `json:"fault,omitempty"`
	Params     Scenario     `json:"params"`
	Provenance Provenance   `json:"provenance"`
}

// Metrics are a migration's headline numbers, in base units.
type Metrics struct {
	DowntimeS         float64 `json:"downtime_s"`
	TotalTimeS        float64 `json:"total_time_s"`
	TimeAfterTriggerS float64 `json:"time_after_trigger_s"`
	BytesSent         int64   `json:"bytes_sent"`
	PagesSent         int64   `json:"pages_sent"`
	LiveRounds        int     `json:"live_rounds"`
	StopReason        string  `json:"stop_reason"`
	Converged         bool    `json:"converged"`
	// DegradedS is post-copy's time running on the target with pages missing.
	DegradedS float64 `json:"degraded_s,omitempty"`
	// ProbeDowntimeS is the downtime a client probing the workload saw (real only).
	ProbeDowntimeS float64 `json:"probe_downtime_s,omitempty"`
	// GroupDowntimeS is first freeze to last resume of a group migration.
	GroupDowntimeS float64 `json:"group_downtime_s,omitempty"`
	// Extra holds backend-specific measurements (for example CRIU statistics),
	// named with their unit.
	Extra map[string]float64 `json:"extra,omitempty"`
}

// RoundRecord is one round in base units.
type RoundRecord struct {
	Index         int     `json:"index"`
	Kind          string  `json:"kind"`
	StartS        float64 `json:"start_s"`
	DurationS     float64 `json:"duration_s"`
	Bytes         int64   `json:"bytes"`
	Pages         int64   `json:"pages"`
	DumpS         float64 `json:"dump_s"`
	TransferS     float64 `json:"transfer_s"`
	BandwidthBps  float64 `json:"bandwidth_bytes_per_s"`
	Frozen        bool    `json:"frozen"`
	PredictedNext int64   `json:"predicted_next_bytes,omitempty"`
}

// Provenance says where a record came from.
type Provenance struct {
	Tool      string            `json:"tool"`
	Version   string            `json:"version"`
	Commit    string            `json:"commit,omitempty"`
	GoVersion string            `json:"go_version,omitempty"`
	Host      map[string]string `json:"host,omitempty"`
}

// MetricsOf turns a Result into Metrics.
func MetricsOf(r Result) Metrics {
	m := Metrics{
		DowntimeS:         r.Downtime().Seconds(),
		TotalTimeS:        r.TotalTime().Seconds(),
		TimeAfterTriggerS: r.TimeAfterTrigger().Seconds(),
		BytesSent:         r.BytesSent(),
		PagesSent:         r.PagesSent(),
		LiveRounds:        r.LiveRounds(),
		StopReason:        string(r.StopReason),
		Converged:         r.StopReason.Converged(),
	}
	if r.PostCopy != nil {
		m.DegradedS = r.PostCopy.Degraded.Seconds()
	}
	return m
}

// RoundsOf turns a Result's rounds into records.
func RoundsOf(r Result) []RoundRecord {
	out := make([]RoundRecord, len(r.Rounds))
	for i, x := range r.Rounds {
		out[i] = RoundRecord{
			Index: x.Index, Kind: string(x.Kind), StartS: x.Start.Seconds(),
			DurationS: x.Duration().Seconds(), Bytes: x.Bytes, Pages: x.Pages,
			DumpS: x.DumpTime.Seconds(), TransferS: x.TransferTime.Seconds(),
			BandwidthBps: x.Bandwidth(), Frozen: x.Frozen,
		}
	}
	return out
}

// Seconds converts a float number of seconds to a Duration.
func Seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// RecordWriter writes records as JSON Lines.
type RecordWriter struct{ enc *json.Encoder }

// NewRecordWriter writes records to w, one JSON object per line.
func NewRecordWriter(w io.Writer) *RecordWriter { return &RecordWriter{enc: json.NewEncoder(w)} }

// Write writes one record.
func (w *RecordWriter) Write(r Record) error {
	if r.Schema == 0 {
		r.Schema = RecordSchema
	}
	return w.enc.Encode(r)
}

// ReadRecords reads JSON Lines records; an error names the line.
func ReadRecords(r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return out, fmt.Errorf("records line %d: not a record: %v", line, err)
		}
		if rec.Schema != RecordSchema {
			return out, fmt.Errorf("records line %d: schema %d, this migrlab reads schema %d", line, rec.Schema, RecordSchema)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
