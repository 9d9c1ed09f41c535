package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migrlab/migrlab/real/cpustat"
)

func TestPrivateHandlerServesOnlyTransfers(t *testing.T) {
	s, err := New(Config{StateDir: t.TempDir(), PodmanURI: "unix:///nonexistent/podman.sock"})
	if err != nil {
		t.Fatal(err)
	}
	id := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		full         bool
		method, path string
		body         string
		want         int
	}{
		{false, "GET", "/v1/info", "", http.StatusNotFound},
		{false, "POST", "/v1/containers", "{}", http.StatusNotFound},
		{false, "POST", "/v1/incoming", "{}", http.StatusNotFound},
		{false, "POST", "/v1/incoming/" + id + "/restore", "", http.StatusNotFound},
		{false, "DELETE", "/v1/containers/" + id, "", http.StatusNotFound},
		{false, "POST", "/v1/probes", "{}", http.StatusNotFound},
		// Transfers for a migration nobody announced are refused.
		{false, "PUT", "/v1/incoming/" + id + "/archive", "x", http.StatusForbidden},
		{false, "PUT", "/v1/incoming/" + id + "/rounds/1", "x", http.StatusForbidden},
		{true, "PUT", "/v1/incoming/" + id + "/rounds/1", "x", http.StatusForbidden},
		// Malformed announcements are refused before Podman is asked.
		{true, "POST", "/v1/incoming", `{"id":"../../etc","token":"` + strings.Repeat("t", 40) + `"}`, http.StatusBadRequest},
		{true, "POST", "/v1/incoming", `{"id":"` + id + `","token":"short"}`, http.StatusBadRequest},
		{true, "POST", "/v1/incoming", `{"id":"` + id + `","unknown":1}`, http.StatusBadRequest},
		{true, "POST", "/v1/probes", `{"addrs":[]}`, http.StatusBadRequest},
		{true, "POST", "/v1/probes", `{"addrs":["no-port"]}`, http.StatusBadRequest},
	} {
		rec := httptest.NewRecorder()
		s.Handler(tc.full).ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
		if rec.Code != tc.want {
			t.Errorf("full=%v %s %s: %d %s, want %d", tc.full, tc.method, tc.path, rec.Code, strings.TrimSpace(rec.Body.String()), tc.want)
		}
	}
}

// TestCPUReportsTheHostsTimes: GET /v1/cpu answers the host's aggregate CPU
// times (what the orchestrator turns into the guest's busy and stolen
// shares over a migration), on the full API only.
func TestCPUReportsTheHostsTimes(t *testing.T) {
	s, err := New(Config{StateDir: t.TempDir(), PodmanURI: "unix:///nonexistent/podman.sock"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cpustat.Read(cpustat.ProcStat); !ok {
		t.Skipf("%s unreadable here", cpustat.ProcStat)
	}
	rec := httptest.NewRecorder()
	s.Handler(true).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/cpu", nil))
	var got cpustat.Times
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil || got.Total == 0 || got.Idle > got.Total {
		t.Errorf("GET /v1/cpu: %d %s (%v)", rec.Code, rec.Body, err)
	}
	rec = httptest.NewRecorder()
	s.Handler(false).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/cpu", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /v1/cpu on the peer API: %d, want 404", rec.Code)
	}
}

// TestPaceTimesTheWork: GET /v1/pace answers a positive time, on the full
// API only.
func TestPaceTimesTheWork(t *testing.T) {
	s, err := New(Config{StateDir: t.TempDir(), PodmanURI: "unix:///nonexistent/podman.sock"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.Handler(true).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/pace", nil))
	var got Pace
	if err := json.Unmarshal(rec.Body.Bytes(), &got); rec.Code != http.StatusOK || err != nil || got.Seconds <= 0 || got.Seconds > 1 {
		t.Errorf("GET /v1/pace: %d %s (%v)", rec.Code, rec.Body, err)
	}
	rec = httptest.NewRecorder()
	s.Handler(false).ServeHTTP(rec, httptest.NewRequest("GET", "/v1/pace", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /v1/pace on the peer API: %d, want 404", rec.Code)
	}
}

// TestOwnGroupsAddTheAgentsOwn: the agent's own service group joins
// podman's; a group under those, or a login session's, does not.
func TestOwnGroupsAddTheAgentsOwn(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"0::/system.slice/migrlab-agent.service", "machine.slice system.slice/podman.service system.slice/migrlab-agent.service"},
		{"0::/machine.slice/libpod-1.scope", "machine.slice system.slice/podman.service"},
		{"0::/user.slice/user-0.slice/session-3.scope", "machine.slice system.slice/podman.service"},
		{"12:cpu:/", ""},
	} {
		p := filepath.Join(t.TempDir(), "cgroup")
		if err := os.WriteFile(p, []byte(c.line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(ownGroups(p), " "); got != c.want {
			t.Errorf("%s: %q, want %q", c.line, got, c.want)
		}
	}
}
