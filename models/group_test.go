package models

import (
	"testing"
	"time"
)

func TestGroupMetrics(t *testing.T) {
	a := Result{StopReason: StopThreshold, FreezeAt: 1 * time.Second, Resume: ResumeInfo{End: 2 * time.Second},
		Rounds: []Round{{Bytes: 100, Pages: 1}}}
	b := Result{StopReason: StopMaxRounds, FreezeAt: 3 * time.Second, Resume: ResumeInfo{End: 3500 * time.Millisecond},
		Rounds: []Round{{Bytes: 50, Pages: 2}}}
	m := GroupResult{Members: []Result{a, b}}.Metrics()
	if m.GroupDowntimeS != 2.5 || m.DowntimeS != 1 || m.BytesSent != 150 || m.PagesSent != 3 {
		t.Fatalf("group %g downtime %g bytes %d pages %d", m.GroupDowntimeS, m.DowntimeS, m.BytesSent, m.PagesSent)
	}
	if m.Converged || m.StopReason != string(StopMaxRounds) || m.TotalTimeS != 3.5 || m.Extra["mean_member_downtime_s"] != 0.75 {
		t.Fatalf("converged %v reason %q total %g extra %v", m.Converged, m.StopReason, m.TotalTimeS, m.Extra)
	}
}
