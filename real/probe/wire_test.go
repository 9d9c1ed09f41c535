package probe

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		line    string
		want    Request
		wantErr string
	}{
		{"probe", Request{Cmd: CmdProbe}, ""},
		{"probe\n", Request{Cmd: CmdProbe}, ""},
		{" verify 42 \r\n", Request{Cmd: CmdVerify, ID: 42}, ""},
		{"probe 18446744073709551615", Request{Cmd: CmdProbe, ID: 1<<64 - 1}, ""},
		{"", Request{}, "want"},
		{"probe 1 2", Request{}, "want"},
		{"probe -1", Request{Cmd: CmdProbe}, "not an unsigned"},
		{"ping 3", Request{Cmd: "ping", ID: 3}, "unknown command"},
	}
	for _, tt := range tests {
		got, err := ParseRequest(tt.line)
		if got != tt.want || (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("ParseRequest(%q) = %+v, %v; want %+v, error containing %q", tt.line, got, err, tt.want, tt.wantErr)
		}
		if err == nil {
			if back, _ := ParseRequest(got.String()); back != got {
				t.Errorf("ParseRequest(%q.String()) = %+v", got, back)
			}
		}
	}
}

// TestReplyWireFormat pins the JSON of a reply.
func TestReplyWireFormat(t *testing.T) {
	r := Reply{ID: 7, Seq: 42, Nonce: 0x9f1c2e0a5b7d3c11, Writes: 123456, WritesNS: 61230000000, ActiveNS: 61100000000, Sum: 0xb1d, UptimeNS: 61234567890, UnixNS: 1700000000000000000,
		Verify: &VerifyResult{Writes: 123456, Incremental: 0xb1d, Full: 0xb1d, Match: true, TookNS: 27000000}}
	const want = `{"id":7,"seq":42,"nonce":"9f1c2e0a5b7d3c11","writes":123456,"writes_ns":61230000000,"active_ns":61100000000,"sum":"0000000000000b1d","uptime_ns":61234567890,"unix_ns":1700000000000000000,` +
		`"verify":{"writes":123456,"incremental":"0000000000000b1d","full":"0000000000000b1d","match":true,"took_ns":27000000}}`
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	back, err := ParseReply(b)
	if err != nil || back.Verify == nil || *back.Verify != *r.Verify {
		t.Fatalf("ParseReply: %+v, %v", back, err)
	}
	back.Verify, r.Verify = nil, nil
	if back != r {
		t.Errorf("round trip: %+v, want %+v", back, r)
	}
}

func TestParseReplyErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"nonce":"xyz"}`, `{"sum":12}`, `{"nonce":"1234567890abcdef01"}`} {
		if _, err := ParseReply([]byte(in)); err == nil {
			t.Errorf("ParseReply(%q): no error", in)
		}
	}
}
