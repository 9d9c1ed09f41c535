package probe

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	src = "10.10.0.1:7000"
	dst = "10.10.0.2:7000"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// ans is an answer from addr arriving at t0+ms milliseconds.
func ans(addr string, ms float64, seq, writes uint64, nonce Hex64) Answer {
	at := t0.Add(time.Duration(ms * float64(time.Millisecond)))
	return Answer{Addr: addr, Sent: at.Add(-100 * time.Microsecond), At: at, Reply: Reply{Seq: seq, Writes: writes, Nonce: nonce}}
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name           string
		answers        []Answer
		src, dst       string
		want           time.Duration
		wantErr        error
		wantN          [2]int // source and target answers
		wantLast       uint64 // seq of LastSource
		wantFirst      uint64 // seq of FirstTarget
		nonce, counter bool
	}{
		{"clean migration", []Answer{
			ans(src, 0, 1, 10, 5), ans(src, 5, 2, 20, 5), ans(src, 10, 3, 30, 5),
			ans(dst, 1510.25, 4, 31, 5), ans(dst, 1515, 5, 40, 5),
		}, src, dst, 1500250 * time.Microsecond, nil, [2]int{3, 2}, 3, 4, true, true},
		{"unordered input, target probed all along", []Answer{
			ans(dst, 2000, 9, 90, 5), ans(src, 5, 2, 20, 5), ans(src, 0, 1, 10, 5), ans(src, 995, 7, 70, 5), ans(dst, 1995.5, 8, 80, 5),
		}, src, dst, 1000500 * time.Microsecond, nil, [2]int{3, 2}, 7, 8, true, true},
		{"restarted: new nonce and counter", []Answer{
			ans(src, 0, 100, 1000, 5), ans(dst, 30, 1, 0, 6),
		}, src, dst, 30 * time.Millisecond, nil, [2]int{1, 1}, 100, 1, false, false},
		{"writes went back", []Answer{
			ans(src, 0, 100, 1000, 5), ans(dst, 30, 101, 999, 5),
		}, src, dst, 30 * time.Millisecond, nil, [2]int{1, 1}, 100, 101, true, false},
		{"target answer before the source's last one is not the end", []Answer{
			ans(src, 0, 1, 1, 5), ans(dst, 2, 2, 1, 5), ans(src, 4, 3, 1, 5), ans(dst, 50, 4, 2, 5),
		}, src, dst, 46 * time.Millisecond, nil, [2]int{2, 1}, 3, 4, true, true},
		{"same address: longest gap", []Answer{
			ans(src, 0, 1, 1, 5), ans(src, 5, 2, 1, 5), ans(src, 700, 3, 9, 5), ans(src, 705, 4, 9, 5), ans(src, 1000, 5, 12, 5),
		}, src, src, 695 * time.Millisecond, nil, [2]int{2, 3}, 2, 3, true, true},
		{"no source answer", []Answer{ans(dst, 1, 1, 1, 5)}, src, dst, 0, ErrNoSourceAnswer, [2]int{}, 0, 0, false, false},
		{"no target answer after the source", []Answer{ans(dst, 1, 1, 1, 5), ans(src, 2, 2, 1, 5)}, src, dst, 0, ErrNoTargetAnswer, [2]int{}, 0, 0, false, false},
		{"same address, one answer", []Answer{ans(src, 1, 1, 1, 5)}, src, src, 0, ErrNoTargetAnswer, [2]int{}, 0, 0, false, false},
		{"nothing", nil, src, dst, 0, ErrNoSourceAnswer, [2]int{}, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Analyze(tt.answers, tt.src, tt.dst)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if d, err2 := Downtime(tt.answers, tt.src, tt.dst); d != m.Downtime || !errors.Is(err2, tt.wantErr) {
				t.Errorf("Downtime = %s, %v; Analyze says %s, %v", d, err2, m.Downtime, err)
			}
			if err != nil {
				return
			}
			if m.Downtime != tt.want || m.SourceAnswers != tt.wantN[0] || m.TargetAnswers != tt.wantN[1] ||
				m.LastSource.Reply.Seq != tt.wantLast || m.FirstTarget.Reply.Seq != tt.wantFirst ||
				m.NonceUnchanged != tt.nonce || m.CounterContinued != tt.counter {
				t.Errorf("got downtime %s, answers %d/%d, seq %d->%d, nonce %v, counter %v\nwant %s, %v, %d->%d, %v, %v",
					m.Downtime, m.SourceAnswers, m.TargetAnswers, m.LastSource.Reply.Seq, m.FirstTarget.Reply.Seq, m.NonceUnchanged, m.CounterContinued,
					tt.want, tt.wantN, tt.wantLast, tt.wantFirst, tt.nonce, tt.counter)
			}
			if (m.Err() == nil) != (tt.nonce && tt.counter) {
				t.Errorf("Err() = %v with nonce %v counter %v", m.Err(), tt.nonce, tt.counter)
			}
		})
	}
}

func TestCheckVerify(t *testing.T) {
	m, err := Analyze([]Answer{ans(src, 0, 10, 100, 5), ans(dst, 20, 11, 101, 5)}, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	v := func(seq, writes uint64, nonce Hex64, inc, full Hex64) Reply {
		return Reply{Seq: seq, Nonce: nonce, Writes: writes, Verify: &VerifyResult{Writes: writes, Incremental: inc, Full: full, Match: inc == full}}
	}
	tests := []struct {
		name    string
		r       Reply
		wantErr string
	}{
		{"intact", v(12, 150, 5, 0xabc, 0xabc), ""},
		{"corrupted", v(12, 150, 5, 0xabc, 0xabd), "memory corrupted"},
		{"other process", v(12, 150, 6, 0xabc, 0xabc), "nonce"},
		{"older than the first target answer", v(11, 150, 5, 0xabc, 0xabc), "older"},
		{"a probe reply", Reply{Seq: 12, Nonce: 5}, "not a verify reply"},
	}
	for _, tt := range tests {
		err := m.CheckVerify(tt.r)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: CheckVerify = %v, want error containing %q", tt.name, err, tt.wantErr)
		}
	}
}
