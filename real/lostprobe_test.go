package real

import (
	"errors"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/real/probe"
)

// TestContinuedWithoutTheMonitor: without the probe monitor, the same
// nonce, a later answer and verified memory prove the process continued;
// any one missing is an error that names it.
func TestContinuedWithoutTheMonitor(t *testing.T) {
	first := probe.Reply{Seq: 10, Nonce: 7}
	ok := &probe.VerifyResult{Match: true}
	for _, c := range []struct {
		v    probe.Reply
		want string
	}{
		{probe.Reply{Seq: 50, Nonce: 7, Verify: ok}, ""},
		{probe.Reply{Seq: 50, Nonce: 8, Verify: ok}, "restarted"},
		{probe.Reply{Seq: 3, Nonce: 7, Verify: ok}, "counter did not continue"},
		{probe.Reply{Seq: 50, Nonce: 7, Verify: &probe.VerifyResult{}}, "memory corrupted"},
		{probe.Reply{Seq: 50, Nonce: 7}, "not a verify reply"},
	} {
		err := continued(first, c.v)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.v, err, c.want)
		}
	}
	if !monitorLost(&agent.AgentError{Status: 404}) || monitorLost(errors.New("EOF")) || monitorLost(&agent.AgentError{Status: 500}) {
		t.Error("monitorLost: want only a 404 from the agent")
	}
}
