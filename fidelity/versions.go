package fidelity

import (
	"runtime"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/testbed"
)

// Versions are a report's versions: migrlab's and every host's of tb (one
// entry when all hosts agree, else one per host); nil tb: migrlab's only.
func Versions(tb *testbed.Testbed) map[string]string {
	p := buildinfo.Provenance()
	v := map[string]string{"migrlab": p.Version, "commit": p.Commit, "go": runtime.Version(),
		"orchestrator": runtime.GOOS + "/" + runtime.GOARCH}
	if tb == nil {
		return v
	}
	v["testbed"] = tb.Name + " (" + string(tb.Backend) + ")"
	per := map[string][]string{}
	for _, h := range tb.Hosts {
		f := h.Facts.Map(tb.Accel)
		if f["runtime"] != "" {
			// For example "runc": "1.1.5+ds1".
			f[f["runtime"]] = f["runtime_version"]
		}
		for k, x := range f {
			per[k] = append(per[k], x)
		}
	}
	for k, xs := range per {
		same := true
		for _, x := range xs {
			same = same && x == xs[0]
		}
		if same {
			if xs[0] != "" { // a fact no host reported (an older preflight)
				v[k] = xs[0]
			}
			continue
		}
		for i, x := range xs {
			v[k+" ("+tb.Hosts[i].Name+")"] = x
		}
	}
	return v
}

// VersionsFromRecords are a report's versions taken from the provenance of
// the first real record (a replay has no testbed to ask).
func VersionsFromRecords(recs []models.Record) map[string]string {
	v := Versions(nil)
	for _, r := range recs {
		if r.Backend != models.BackendReal {
			continue
		}
		p := r.Provenance
		v["recorded migrlab"], v["recorded commit"] = p.Version, p.Commit
		for _, k := range []string{"kernel", "podman", "criu", "runtime", "runtime_version", "thp", "accel", "network_backend", "testbed"} {
			if x := p.Host[k]; x != "" {
				v[k] = x
			}
		}
		break
	}
	return v
}
