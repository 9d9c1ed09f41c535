package workload

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/migrlab/migrlab/models"
)

// Args encodes c as the workload's command line (without the program name):
// the inverse of ParseArgs, so ParseArgs(c.Args()) returns c for every c that
// ParseArgs returns. It writes --mem, --rate and --seed always; --port unless
// Listen is empty (the default port); --wws when set; --hot-fraction and
// --hot-share when HotFraction > 0; --rate-trace when the trace has points;
// --tick when it is neither 0 nor DefaultTick. Numbers are written so that
// they parse back to the same value: rates and shares as shortest decimals,
// trace times as exact decimal seconds.
//
// The workload does not read the rest, and Args leaves it out: Listen's host
// (the workload listens on every interface), Memory.PageSize (always
// PageSize), the trace's Until and Workload.Runtime.
func (c Config) Args() []string {
	w := c.Workload
	args := []string{
		"--mem", strconv.FormatInt(int64(c.Memory.Size), 10),
		"--rate", strconv.FormatFloat(float64(w.DirtyRate), 'f', -1, 64),
		"--seed", strconv.FormatUint(c.Seed, 10),
	}
	if c.Listen != "" {
		args = append(args, "--port", listenPort(c.Listen))
	}
	if w.WWS > 0 {
		args = append(args, "--wws", strconv.FormatInt(int64(w.WWS), 10))
	}
	if w.HotFraction > 0 {
		args = append(args, "--hot-fraction", strconv.FormatFloat(w.HotFraction, 'f', -1, 64),
			"--hot-share", strconv.FormatFloat(w.HotShare, 'f', -1, 64))
	}
	if len(w.RateTrace.Points) > 0 {
		args = append(args, "--rate-trace", formatTrace(w.RateTrace))
	}
	if c.Tick != 0 && c.Tick != DefaultTick {
		args = append(args, "--tick", c.Tick.String())
	}
	return args
}

// listenPort is the port of a listen address, or all of addr when it has
// none (ParseArgs then refuses it).
func listenPort(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return port
	}
	return addr
}

// formatTrace writes a trace's points as --rate-trace takes them:
// "0s=1,12.5s=0.25" (Until is not part of it).
func formatTrace(tr models.Trace) string {
	parts := make([]string, len(tr.Points))
	for i, p := range tr.Points {
		parts[i] = formatSeconds(p.At.Duration()) + "=" + strconv.FormatFloat(p.Factor, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// formatSeconds writes d as exact decimal seconds ("90.125s", "0.00005s"),
// which time.ParseDuration reads back to the nanosecond: unlike formatting
// d.Seconds(), it never rounds and never uses an exponent.
func formatSeconds(d time.Duration) string {
	sign, u := "", uint64(d)
	if d < 0 {
		sign, u = "-", -u
	}
	s := sign + strconv.FormatUint(u/uint64(time.Second), 10)
	if frac := u % uint64(time.Second); frac != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%09d", frac), "0")
	}
	return s + "s"
}
