package agent

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containers/podman/v4/libpod/define"
)

// The source reads the profile from the running container (U/config.json
// and inspect); the target from the archive (spec.dump, which Podman
// writes by decoding and re-encoding config.json, and config.dump). The
// two agree however the spec's JSON is laid out, and differ, naming the
// field, when the configuration does.
func TestSourceAndTargetProfilesAgree(t *testing.T) {
	u := t.TempDir()
	os.WriteFile(filepath.Join(u, "config.json"), []byte(testSpec), 0o600)
	d := &define.InspectContainerData{StaticDir: u, HostConfig: &define.InspectContainerHostConfig{Privileged: false},
		Mounts: []define.InspectMount{{Type: "volume", Name: "v1", Destination: "/data"}, {Type: "bind", Source: "/x", Destination: "/y"}}}
	src := sourceProfile(d)
	if src == nil {
		t.Fatal("no profile from config.json")
	}
	// spec.dump as another encoder lays it out: keys sorted, indented.
	var m map[string]any
	json.Unmarshal([]byte(testSpec), &m)
	relaid, _ := json.MarshalIndent(m, "", "\t")
	cfg := map[string]any{"privileged": false, "namedVolumes": []any{map[string]any{"volumeName": "v1", "dest": "/data"}}}
	for _, tc := range []struct {
		name       string
		spec       []byte
		privileged bool
		want       string
	}{
		{"same spec, relaid", relaid, false, ""},
		{"privileged", relaid, true, "privileged: archive true, announced false"},
		{"other user", []byte(strings.Replace(testSpec, `"uid":0`, `"uid":1000`, 1)), false, `user: archive "1000:0", announced "0:0"`},
	} {
		cfg["privileged"] = tc.privileged
		var dc dumpConfig
		json.Unmarshal([]byte(jsonOf(cfg)), &dc)
		got := Profile{Privileged: dc.Privileged}
		if err := specProfile(&got, tc.spec); err != nil {
			t.Fatal(err)
		}
		for _, v := range dc.NamedVolumes {
			got.Volumes = append(got.Volumes, volumeRef(v.Name, v.Dest))
		}
		diff := src.Diff(got)
		if tc.want == "" && (diff != "" || got.Digest() != src.Digest()) || tc.want != "" && !strings.Contains(diff, tc.want) {
			t.Errorf("%s: diff %q; want %q", tc.name, diff, tc.want)
		}
	}
	if strings.Join(src.Volumes, ",") != "v1:/data" || src.User != "0:0" ||
		strings.Join(src.Capabilities, ",") != "CAP_CHOWN,CAP_NET_BIND_SERVICE" || len(src.Namespaces) != 5 {
		t.Errorf("source profile = %+v", src)
	}
}
