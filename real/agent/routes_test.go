package agent

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// peerRoutes are the only endpoints a peer agent may reach: the transfers.
var peerRoutes = []string{
	"PUT /v1/calib/sink",
	"PUT /v1/incoming/{id}/archive",
	"PUT /v1/incoming/{id}/rounds/{k}",
}

// Every route the agent registers is enumerated from its route table and
// called with peer certificates on both listeners (and the orchestrator's
// on the private one): only the transfer routes answer anything but the
// role refusal (403). A route added to the table is covered by this test
// without a change; making a new route a peer route fails it until the
// route is added to peerRoutes above.
func TestPeerCertificateReachesOnlyTransferRoutes(t *testing.T) {
	pki := newTestPKI(t, "tb")
	s, _ := newTarget(t, pki.host(t, "vm2"), Limits{})
	loop, priv := serveTLS(t, s, true), serveTLS(t, s, false)
	orch := pki.orchestrator(t).ClientConfig("vm2")
	in := testIncoming(t) // from vm1
	if st, body := announce(t, tlsClient(orch), "https://"+loop, in); st != http.StatusNoContent {
		t.Fatalf("announce: %d %s", st, body)
	}
	var sink struct{ Token string }
	if err := NewClientTLS("vm2", loop, nil, orch).do(t.Context(), "POST", "/v1/calib/sink", nil, &sink); err != nil {
		t.Fatal(err)
	}

	table := s.routeTable()
	var gotPeer []string
	for _, rt := range table {
		if rt.peer {
			gotPeer = append(gotPeer, rt.pattern)
		}
	}
	slices.Sort(gotPeer)
	if !slices.Equal(gotPeer, peerRoutes) {
		t.Fatalf("peer routes = %q, want %q", gotPeer, peerRoutes)
	}

	callers := []struct {
		name string
		cfg  *tls.Config
		addr string
	}{
		{"source host on loopback", pki.host(t, "vm1").ClientConfig(""), loop},
		{"source host on private", pki.host(t, "vm1").ClientConfig(""), priv},
		{"other host on private", pki.host(t, "vm3").ClientConfig(""), priv},
		{"orchestrator on private", pki.orchestrator(t).ClientConfig(""), priv},
	}
	full := s.routes(true)
	for _, rt := range table {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.NewReplacer("{id}", testID, "{k}", "1", "{pid}", "p1").Replace(path)
		// The full API registers every route of the table.
		if _, p := full.Handler(httptest.NewRequest(method, path, nil)); p != rt.pattern {
			t.Errorf("%s: the full API routes %s %s to %q", rt.pattern, method, path, p)
		}
		for _, c := range callers {
			body, token := []byte("x"), in.Token
			switch {
			case strings.HasSuffix(rt.pattern, "/rounds/{k}"):
				body = roundTar(t, 1)
			case strings.Contains(rt.pattern, "/calib/sink"):
				token = sink.Token
			}
			req, _ := http.NewRequest(method, "https://"+c.addr+path, bytes.NewReader(body))
			req.Header.Set(TokenHeader, token)
			req.Trailer = trailersOf(body)
			req.ContentLength = -1
			resp, err := tlsClient(c.cfg).Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", c.name, rt.pattern, err)
			}
			b := new(bytes.Buffer)
			b.ReadFrom(resp.Body)
			resp.Body.Close()
			refused := resp.StatusCode == http.StatusForbidden && strings.Contains(b.String(), "is not open to a")
			if refused == rt.peer {
				t.Errorf("%s: %s: %d %s; want the role refusal only for routes that are not transfers",
					c.name, rt.pattern, resp.StatusCode, strings.TrimSpace(b.String()))
			}
			// The source reaches the transfers with its token.
			if rt.peer && c.name == "source host on private" && resp.StatusCode/100 != 2 && !strings.HasSuffix(rt.pattern, "/archive") {
				t.Errorf("%s: %s: %d %s; want it served", c.name, rt.pattern, resp.StatusCode, strings.TrimSpace(b.String()))
			}
			if rt.pattern == recordsRoute && strings.Contains(b.String(), testID) {
				t.Errorf("%s: %s leaked the migration records: %s", c.name, rt.pattern, b.String())
			}
		}
	}

	// The migration records (what `migrlab recover` reads without the
	// journal: which containers are where, mid-migration) are the
	// orchestrator's alone: in the table, not a peer route, served to the
	// orchestrator on loopback.
	i := slices.IndexFunc(table, func(rt route) bool { return rt.pattern == recordsRoute })
	if i < 0 || table[i].peer {
		t.Fatalf("%s: in the table %v, peer %v; want a route of the orchestrator's API", recordsRoute, i >= 0, i >= 0 && table[i].peer)
	}
	recs, err := NewClientTLS("vm2", loop, nil, orch).Migrations(t.Context())
	if err != nil || len(recs) != 1 || recs[0].ID != testID || recs[0].Role != RoleTarget {
		t.Errorf("the orchestrator's records: %+v, %v; want the announced migration", recs, err)
	}
}

// recordsRoute lists an agent's migration records.
const recordsRoute = "GET /v1/migrations"
