package models

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ByteSize is an amount of memory or data in bytes. In scenario files it may be
// written as a plain number of bytes or with a unit: "4KiB", "64MiB", "1GiB",
// "1MB" (decimal, 10^6), "512B"; units are case-sensitive (b is a bit).
type ByteSize int64

// Rate is a data rate in bytes per second. In scenario files it may be written as
// a plain number of bytes per second or with a unit: "100MB/s", "20MiB/s"
// (bytes), "1Gbit/s", "1Gbps", "100Mb/s" (bits).
type Rate float64

// Duration is a time.Duration that scenario files write as "10ms", "1.5s" or
// "2m" (a plain number other than 0 is refused), and JSON files as a number
// of seconds.
type Duration time.Duration

// sizeUnits are the units of sizes and rates, case-sensitive: an upper-case
// B is a byte, a lower-case b (or bit) a bit; k/K, M, G, T alone are the
// binary multiples of bytes (4K = 4096 bytes).
var sizeUnits = map[string]float64{
	"": 1, "B": 1,
	"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	"k": 1 << 10, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40,
	"b": 1.0 / 8, "bit": 1.0 / 8,
	"kb": 1e3 / 8, "Kb": 1e3 / 8, "kbit": 1e3 / 8, "Kbit": 1e3 / 8,
	"Mb": 1e6 / 8, "Mbit": 1e6 / 8, "Gb": 1e9 / 8, "Gbit": 1e9 / 8, "Tb": 1e12 / 8, "Tbit": 1e12 / 8,
	"Kib": 1 << 10 / 8, "Kibit": 1 << 10 / 8, "Mib": 1 << 20 / 8, "Mibit": 1 << 20 / 8, "Gib": 1 << 30 / 8, "Gibit": 1 << 30 / 8,
}

// unitSpellings is what an unknown or ambiguous unit's error suggests.
const unitSpellings = "B for bytes, b or bit for bits: 4KiB, 64MiB, 1GB, 512B (bytes); 100Mbit, 1Gb (bits)"

// ParseByteSize parses "64MiB", "1GB", "4096" and similar into bytes. Units
// are case-sensitive (B bytes, b bits); a unit that is neither, such as
// "mb", is refused.
func ParseByteSize(s string) (ByteSize, error) {
	v, err := parseWithUnit(s, sizeUnits)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %v (want a number with an optional unit: %s)", s, err, unitSpellings)
	}
	if v != math.Trunc(v) {
		v = math.Round(v)
	}
	return ByteSize(v), nil
}

// ParseRate parses "100MB/s", "1Gbit/s", "1Gbps", "20MiB/s" or a plain
// bytes-per-second number. As in sizes, B is a byte and b a bit: "1Gbps" and
// "1Gb/s" are 125 MB/s, "1GB/s" is 1 GB/s.
func ParseRate(s string) (Rate, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(t, "/s"):
		t = strings.TrimSuffix(t, "/s")
	case strings.HasSuffix(t, "ps"):
		t = strings.TrimSuffix(t, "ps")
	}
	v, err := parseWithUnit(t, sizeUnits)
	if err != nil {
		return 0, fmt.Errorf("invalid rate %q: %v (want bytes or bits per second: 100MB/s, 20MiB/s (bytes); 1Gbit/s, 1Gbps, 100Mb/s (bits))", s, err)
	}
	return Rate(v), nil
}

// ParseDuration parses Go durations ("10ms", "1.5s", "2m"). A plain number is
// refused (is "1" a second or a millisecond?), except 0.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		if f == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("invalid duration %q: give a unit, for example %ss or %sms", s, t, t)
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want a Go duration such as 10ms, 1.5s, 2m)", s)
	}
	return Duration(d), nil
}

func parseWithUnit(s string, units map[string]float64) (float64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] == '.' || t[i] == '-' || t[i] == '+' || t[i] == 'e' && i > 0 || (t[i] >= '0' && t[i] <= '9')) {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("no number")
	}
	m, ok := units[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	v := f * m
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<62 {
		return 0, fmt.Errorf("out of range")
	}
	return v, nil
}

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// Seconds returns d in seconds.
func (d Duration) Seconds() float64 { return time.Duration(d).Seconds() }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// String formats b with a binary unit.
func (b ByteSize) String() string { return FormatBytes(float64(b)) }

// String formats r with a decimal unit per second.
func (r Rate) String() string {
	v := float64(r)
	switch {
	case v >= 1e9:
		return strconv.FormatFloat(v/1e9, 'g', 6, 64) + "GB/s"
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 6, 64) + "MB/s"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'g', 6, 64) + "kB/s"
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + "B/s"
}

// FormatBytes renders a byte count with a binary unit (B, KiB, MiB, GiB).
func FormatBytes(v float64) string {
	abs := math.Abs(v)
	switch {
	case abs >= 1<<30:
		return strconv.FormatFloat(v/(1<<30), 'f', 2, 64) + "GiB"
	case abs >= 1<<20:
		return strconv.FormatFloat(v/(1<<20), 'f', 2, 64) + "MiB"
	case abs >= 1<<10:
		return strconv.FormatFloat(v/(1<<10), 'f', 2, 64) + "KiB"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "B"
}

func scalarText(n *yaml.Node) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: want a scalar value, got a %s", n.Line, kindName(n.Kind))
	}
	return n.Value, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// UnmarshalYAML accepts a number of bytes or a string with a unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n)
	if err != nil {
		return err
	}
	v, err := ParseByteSize(s)
	*b = v
	return err
}

// UnmarshalYAML accepts a number of bytes per second or a string with a unit.
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n)
	if err != nil {
		return err
	}
	v, err := ParseRate(s)
	*r = v
	return err
}

// UnmarshalYAML accepts a Go duration string or seconds as a number.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n)
	if err != nil {
		return err
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration in seconds (base unit), as records require.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.Seconds()) }

// UnmarshalJSON reads seconds as a number, or a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*d = Duration(f * float64(time.Second))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want seconds or a duration string")
	}
	v, err := ParseDuration(s)
	*d = v
	return err
}

// UnmarshalJSON reads bytes as a number or a string with a unit.
func (b *ByteSize) UnmarshalJSON(p []byte) error {
	var f float64
	if err := json.Unmarshal(p, &f); err == nil {
		*b = ByteSize(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(p, &s); err != nil {
		return fmt.Errorf("size: want bytes or a size string")
	}
	v, err := ParseByteSize(s)
	*b = v
	return err
}

// UnmarshalJSON reads bytes per second as a number or a string with a unit.
func (r *Rate) UnmarshalJSON(p []byte) error {
	var f float64
	if err := json.Unmarshal(p, &f); err == nil {
		*r = Rate(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(p, &s); err != nil {
		return fmt.Errorf("rate: want bytes per second or a rate string")
	}
	v, err := ParseRate(s)
	*r = v
	return err
}

// Percent is a fraction (0.01 is 1 %). Scenario files write it with a percent
// sign, "1%" or "0.5%" (a plain number other than 0 is refused: is "1" one
// percent or all of it?); JSON files hold the fraction.
type Percent float64

// ParsePercent parses "1%", "0.5 %" or "0" into a fraction.
func ParsePercent(s string) (Percent, error) {
	t := strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(t, 64); err == nil && v == 0 {
		return 0, nil
	}
	num, ok := strings.CutSuffix(t, "%")
	if !ok {
		return 0, fmt.Errorf("invalid percentage %q: write it with a percent sign, for example 1%% or 0.5%%", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("invalid percentage %q: want a number followed by %%, for example 1%% or 0.5%%", s)
	}
	return Percent(v / 100), nil
}

// String formats p as a percentage.
func (p Percent) String() string { return strconv.FormatFloat(float64(p)*100, 'g', 6, 64) + "%" }

// UnmarshalYAML accepts "1%" (or 0).
func (p *Percent) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalarText(n)
	if err != nil {
		return err
	}
	v, err := ParsePercent(s)
	*p = v
	return err
}

// MarshalYAML writes the percentage with its sign.
func (p Percent) MarshalYAML() (any, error) { return p.String(), nil }

// UnmarshalJSON reads a fraction, or a string with a percent sign.
func (p *Percent) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		*p = Percent(f)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("percentage: want a fraction or a string such as \"1%%\"")
	}
	v, err := ParsePercent(s)
	*p = v
	return err
}
