package probe

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors of Downtime and Analyze.
var (
	// ErrNoSourceAnswer means the source never answered.
	ErrNoSourceAnswer = errors.New("no answer from the source")
	// ErrNoTargetAnswer means the target did not answer after the source's last answer.
	ErrNoTargetAnswer = errors.New("no answer from the target after the source's last answer")
)

// Migration is the client-side view of one migration, from the answers of the
// source and of the target.
type Migration struct {
	// Source and Target are the addresses compared.
	Source, Target string
	// Downtime is FirstTarget.At - LastSource.At.
	Downtime time.Duration
	// LastSource is the source's last answer before the downtime.
	LastSource Answer
	// FirstTarget is the target's first answer after it.
	FirstTarget Answer
	// SourceAnswers and TargetAnswers count the answers before and after the
	// downtime.
	SourceAnswers, TargetAnswers int
	// NonceUnchanged reports that the target answered with the source's nonce:
	// the process was restored, not restarted.
	NonceUnchanged bool
	// CounterContinued reports that the target's answer counter went on from
	// the source's (FirstTarget.Reply.Seq > LastSource.Reply.Seq) and its write
	// count did not go back.
	CounterContinued bool
}

// Err returns nil when the nonce is unchanged and the counters continued, and
// otherwise an error that says which check failed.
func (m Migration) Err() error {
	var errs []error
	if !m.NonceUnchanged {
		errs = append(errs, fmt.Errorf("nonce changed from %s to %s: the workload was restarted, not restored",
			m.LastSource.Reply.Nonce, m.FirstTarget.Reply.Nonce))
	}
	if !m.CounterContinued {
		errs = append(errs, fmt.Errorf("counters did not continue: seq %d -> %d, writes %d -> %d",
			m.LastSource.Reply.Seq, m.FirstTarget.Reply.Seq, m.LastSource.Reply.Writes, m.FirstTarget.Reply.Writes))
	}
	return errors.Join(errs...)
}

// CheckVerify checks a verify reply from the target (see Verify): same nonce as
// the source's, counters not behind the first target answer, and a full
// checksum that matches the incremental one, which shows that the memory
// survived the migration intact.
func (m Migration) CheckVerify(r Reply) error {
	switch {
	case r.Verify == nil:
		return errors.New("not a verify reply")
	case r.Nonce != m.LastSource.Reply.Nonce:
		return fmt.Errorf("verify reply has nonce %s, the source had %s", r.Nonce, m.LastSource.Reply.Nonce)
	case r.Seq <= m.FirstTarget.Reply.Seq || r.Verify.Writes < m.FirstTarget.Reply.Writes:
		return fmt.Errorf("verify reply (seq %d, writes %d) is older than the first target answer (seq %d, writes %d)",
			r.Seq, r.Verify.Writes, m.FirstTarget.Reply.Seq, m.FirstTarget.Reply.Writes)
	case !r.Verify.Match:
		return fmt.Errorf("memory corrupted: checksum recomputed over the memory is %s, the incremental one is %s (after %d writes)",
			r.Verify.Full, r.Verify.Incremental, r.Verify.Writes)
	}
	return nil
}

// Downtime returns the time from the last answer of src to the first answer of
// dst after it (see Analyze).
func Downtime(answers []Answer, src, dst string) (time.Duration, error) {
	m, err := Analyze(answers, src, dst)
	return m.Downtime, err
}

// Analyze finds the downtime of a migration from src to dst in answers (in any
// order; they are ordered by arrival time): it ends at the first answer of dst
// after the last answer of src. When src == dst (a migration that keeps its
// address) the downtime is the longest gap between two consecutive answers.
func Analyze(answers []Answer, src, dst string) (Migration, error) {
	as := slices.Clone(answers)
	slices.SortStableFunc(as, func(a, b Answer) int { return a.At.Compare(b.At) })
	m := Migration{Source: src, Target: dst}
	last, first := -1, -1
	if src == dst {
		prev := -1
		for i := range as {
			if as[i].Addr != src {
				continue
			}
			if prev >= 0 && (first < 0 || as[i].At.Sub(as[prev].At) > as[first].At.Sub(as[last].At)) {
				last, first = prev, i
			}
			prev = i
		}
		if first < 0 {
			last = prev
		}
	} else {
		for i := range as {
			if as[i].Addr == src {
				last = i
			}
		}
		for i := last + 1; last >= 0 && i < len(as); i++ {
			if as[i].Addr == dst {
				first = i
				break
			}
		}
	}
	if last < 0 {
		return m, ErrNoSourceAnswer
	}
	if first < 0 {
		return m, ErrNoTargetAnswer
	}
	m.LastSource, m.FirstTarget = as[last], as[first]
	m.Downtime = m.FirstTarget.At.Sub(m.LastSource.At)
	for _, a := range as[:last+1] {
		if a.Addr == src {
			m.SourceAnswers++
		}
	}
	for _, a := range as[first:] {
		if a.Addr == dst {
			m.TargetAnswers++
		}
	}
	s, t := m.LastSource.Reply, m.FirstTarget.Reply
	m.NonceUnchanged = s.Nonce == t.Nonce
	m.CounterContinued = t.Seq > s.Seq && t.Writes >= s.Writes
	return m, nil
}
