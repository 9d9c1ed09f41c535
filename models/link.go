package models

import (
	"math"
	"time"
)

// What TCP makes of a link a shaper holds to a rate: the payload it carries,
// the rate a lossy path sustains, and the time slow start costs each
// transfer. These are properties of the protocol, not fitted: a calibration
// on the native link measures the rest (see Calibration.Link).
const (
	// TCPPayload is the payload of a full-sized TCP segment with
	// timestamps on a 1500-byte MTU.
	TCPPayload = 1448
	// TCPFrame is what a shaper counts for that segment: the payload, the
	// IP and TCP headers with timestamps (52 B) and the Ethernet header
	// (14 B).
	TCPFrame = 1514
	// TCPInitialWindow is Linux's initial congestion window in segments
	// (RFC 6928); a connection idle for longer than its retransmission
	// timeout starts from it again (tcp_slow_start_after_idle).
	TCPInitialWindow = 10
)

// Goodput returns the payload rate of a link shaped to rate, which counts
// whole frames.
func Goodput(rate Rate) Rate { return rate * TCPPayload / TCPFrame }

// TCPLossRate returns the rate TCP sustains over a path with round trip rtt
// that loses fraction p of its packets (Mathis, Semke, Mahdavi and Ott,
// 1997: MSS/RTT x sqrt(3/2)/sqrt(p)); +Inf without loss or without a round
// trip.
func TCPLossRate(rtt time.Duration, p float64) float64 {
	if p <= 0 || rtt <= 0 {
		return math.Inf(1)
	}
	return TCPPayload / rtt.Seconds() * math.Sqrt(1.5/p)
}

// SlowStartLoss returns how much longer a long transfer at rate takes
// because TCP starts from its initial window: the window doubles every round
// trip until it holds the bandwidth-delay product, and each round trip short
// of it sends that much less.
func SlowStartLoss(rate float64, rtt time.Duration) time.Duration {
	if rate <= 0 || rtt <= 0 {
		return 0
	}
	bdp := rate * rtt.Seconds() / TCPPayload // segments in flight at rate
	lost := 0.0
	for w := float64(TCPInitialWindow); w < bdp; w *= 2 {
		lost += bdp - w
	}
	return Seconds(lost * TCPPayload / rate)
}

// Link returns the link a scenario's network gets on the calibrated testbed,
// and what each transfer pays on it beyond the calibration's TransferSetup.
// A native (unset) network is the calibration's measured link. On a shaped
// one the link carries the goodput of its rate, no more than TCP sustains
// under its loss, no more than the native link; the agents' own per-byte
// work (reading, hashing, writing and syncing the data: what made the
// calibration's frozen transfers slower than its LinkCapacity) mostly
// overlaps the link's (the agents stream): AgentSerialShare of it adds.
// Live rounds go at that rate or at the calibration's live
// rate, whichever is slower: what slows them natively (the workload and the
// dump competing for the CPU) overlaps a slower link's waits (measured:
// frozen and live rounds alike at 454-469 kB/s at 512 KiB/s, where the native
// live rate is 1.2 MB/s). Its latency adds to the
// testbed's own; each transfer pays the added latency once more (the
// target's answer comes back over it) and the slow start beyond what the
// calibration's transfers already paid.
func (c Calibration) Link(n Network) (Network, time.Duration) {
	if n.Native() {
		return c.Network, 0
	}
	latency := c.Network.Latency + n.Latency
	rtt := 2 * latency.Duration()
	link := math.Min(float64(Goodput(n.Bandwidth)), TCPLossRate(rtt, float64(n.Loss)))
	out := Network{
		Bandwidth:      Rate(c.through(link, float64(c.Network.Bandwidth))),
		LiveBandwidth:  Rate(math.Min(c.through(link, float64(c.Network.Bandwidth)), float64(c.Network.LiveRate()))),
		Latency:        latency,
		Jitter:         n.Jitter,
		Loss:           n.Loss,
		BandwidthTrace: n.BandwidthTrace,
	}
	slow := SlowStartLoss(float64(out.Bandwidth), rtt) - SlowStartLoss(float64(c.Network.Bandwidth), 2*c.Network.Latency.Duration())
	return out, n.Latency.Duration() + max(slow, 0)
}

// AgentSerialShare is the share of the agents' per-byte work (what made
// the calibration's frozen transfers slower than its LinkCapacity) that a
// shaped link does not hide. The agents stream, so most of that work
// overlaps the link's waits, but not all of it: when reading and hashing
// stall the sender for longer than the socket and the bucket's queue hold,
// the link idles. Measured on the learned held-out sets C to F (24 full
// rounds at 960 KiB/s to 1.3 MiB/s, none of them judged with it): the full
// rounds took 0.025-0.124 us per byte longer than the link's goodput
// allowed, 0.19 (cold, frozen) to 0.21 (all) of the agents' per-byte work;
// with none of it in series, all 24 were predicted short (by 2.4-13 %).
// How it fared on held-out links: docs/fidelity.md, "Current results".
const AgentSerialShare = 0.2

// through returns the rate of transfers that achieved measured on the
// native link when the link carries only link: the link's rate slowed by
// AgentSerialShare of the agents' per-byte work, and never faster than
// measured. Held wholly in series (1/measured - 1/LinkCapacity added to
// 1/link), shaped cold migrations were predicted 12-24 % slower than
// measured at 512 KiB/s to 1.5 MiB/s (scripts/just links, and the held-out
// run of 2026-12-05: 12.6 s measured for 17.3 MiB at 1.5 MiB/s, where the
// link alone takes 12.1 s); held wholly overlapped, 2.4-13 % faster.
func (c Calibration) through(link, measured float64) float64 {
	work := max(1/measured-1/float64(c.Capacity()), 0)
	return math.Min(measured, 1/(1/link+AgentSerialShare*work))
}

// Capacity returns what the calibrated private link carries: LinkCapacity,
// or the transfers' bandwidth in calibrations without it.
func (c Calibration) Capacity() Rate {
	if c.LinkCapacity > 0 {
		return c.LinkCapacity
	}
	return c.Network.Bandwidth
}
