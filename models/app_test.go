package models

import (
	"strings"
	"testing"
)

// TestAppScenarios: an app is optional (the synthetic workload stays the
// default), its probe defaults to TCP, and app fields without an image are
// refused with the fix.
func TestAppScenarios(t *testing.T) {
	base := "name: x\nmemory: {size: 64MiB}\nnetwork: {bandwidth: 1Gbit/s}\n"
	s, err := ParseScenario(strings.NewReader(base))
	if err != nil || s.App.Enabled() {
		t.Fatalf("no app: %v, enabled %v", err, s.App.Enabled())
	}
	s, err = ParseScenario(strings.NewReader(base + "app: {image: localhost/redis, port: 6379}\n"))
	if err != nil || !s.App.Probe.TCP {
		t.Fatalf("default probe: %v, %+v", err, s.App.Probe)
	}
	s, err = ParseScenario(strings.NewReader(base + "app: {image: localhost/web, port: 80, probe: {http: {path: /}}}\n"))
	if err != nil || s.App.Probe.TCP || s.App.Probe.HTTP.Status != 200 {
		t.Fatalf("http probe: %v, %+v", err, s.App.Probe)
	}
	s, err = ParseScenario(strings.NewReader(base + "app: {image: localhost/game, port: 27015, probe: {udp: true, send: status, expect: ok}}\n"))
	if err != nil || s.App.Probe.TCP || !s.App.Probe.UDP {
		t.Fatalf("udp probe: %v, %+v", err, s.App.Probe)
	}
	for _, c := range []struct{ yaml, want string }{
		{"app: {image: g, port: 1, probe: {udp: true}}\n", "app.probe.udp: give app.probe.send too"},
		{"app: {image: g, port: 1, probe: {udp: true, tcp: true, send: x}}\n", "set app.probe.tcp or app.probe.udp, not both"},
		{"app: {port: 6379}\n", "app.port: set app.image too"},
		{"app: {check: {exec: x}}\n", "app.check: set app.image too"},
		{"app: {image: localhost/redis}\n", "app.port: give the service's TCP port"},
	} {
		if _, err := ParseScenario(strings.NewReader(base + c.yaml)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}
}
