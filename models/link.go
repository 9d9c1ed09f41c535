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
// A native (unset) network is the calibration's measured link. A shaped one
// carries the goodput of its rate, no more than TCP sustains under its loss
// and no more than the testbed measured (its frozen and its live rounds'
// rates); its latency adds to the testbed's own. Each transfer pays the
// added latency once more (the target's answer comes back over it) and the
// slow start beyond what the calibration's transfers already paid.
func (c Calibration) Link(n Network) (Network, time.Duration) {
	if n.Native() {
		return c.Network, 0
	}
	latency := c.Network.Latency + n.Latency
	rtt := 2 * latency.Duration()
	limit := math.Min(float64(Goodput(n.Bandwidth)), TCPLossRate(rtt, float64(n.Loss)))
	out := Network{
		Bandwidth:      Rate(math.Min(limit, float64(c.Network.Bandwidth))),
		LiveBandwidth:  Rate(math.Min(limit, float64(c.Network.LiveRate()))),
		Latency:        latency,
		Jitter:         n.Jitter,
		Loss:           n.Loss,
		BandwidthTrace: n.BandwidthTrace,
	}
	slow := SlowStartLoss(float64(out.Bandwidth), rtt) - SlowStartLoss(float64(c.Network.Bandwidth), 2*c.Network.Latency.Duration())
	return out, n.Latency.Duration() + max(slow, 0)
}
