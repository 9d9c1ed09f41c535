package fidelity

import (
	"testing"

	"github.com/migrlab/migrlab/testbed"
)

func TestVersionsCollapseEqualHosts(t *testing.T) {
	f := testbed.Facts{Kernel: "6.1", Podman: "4.3.1", CRIU: "3.17.1", Runtime: "runc", RuntimeVersion: "1.1.5"}
	g := f
	g.Kernel = "6.6"
	v := Versions(&testbed.Testbed{Name: "t", Backend: testbed.BackendLocal, Accel: "tcg",
		Hosts: []testbed.Host{{Name: "vm1", Facts: f}, {Name: "vm2", Facts: g}}})
	if v["migrlab"] == "" || v["go"] == "" || v["podman"] != "4.3.1" || v["accel"] != "tcg" || v["runc"] != "1.1.5" ||
		v["kernel (vm1)"] != "6.1" || v["kernel (vm2)"] != "6.6" || v["kernel"] != "" || v["testbed"] != "t (local)" {
		t.Errorf("versions %v", v)
	}
	if _, ok := v["network_backend"]; ok {
		t.Errorf("no host reported its network backend, versions have one: %v", v)
	}
	f.NetworkBackend, g.NetworkBackend = "netavark", "netavark"
	v = Versions(&testbed.Testbed{Name: "t", Hosts: []testbed.Host{{Name: "vm1", Facts: f}, {Name: "vm2", Facts: g}}})
	if v["network_backend"] != "netavark" {
		t.Errorf("network_backend %q, want netavark: %v", v["network_backend"], v)
	}
}
