package agent

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testConfig is a config.dump like Podman's for in.
func testConfig(in Incoming) map[string]any {
	return map[string]any{
		"id":              in.ID,
		"name":            in.Name,
		"rootfsImageID":   in.ImageID,
		"rootfsImageName": "localhost/migrlab-workload:latest",
		"privileged":      false,
		"createNetNS":     true,
		"staticDir":       "/var/lib/containers/storage/overlay-containers/" + in.ID + "/userdata",
		"conmonPidFile":   "/run/containers/storage/overlay-containers/" + in.ID + "/userdata/conmon.pid",
		"spec":            json.RawMessage(testSpec),
		"Dependencies":    nil,
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// goodArchive is what the source agent sends after `rounds` pre-dump rounds.
func goodArchive(t *testing.T, in Incoming, rounds int, extra ...entry) []entry {
	es := []entry{dir("."), file("config.dump", jsonOf(testConfig(in))), file("spec.dump", testSpec),
		file("network.status", "[]"), file("stats-dump", "stats"), dir("artifacts"),
		dir(checkpointDir), file("checkpoint/inventory.img", "inv"), file("checkpoint/pages-1.img", "pages")}
	if rounds > 0 {
		es = append(es, symlink("checkpoint/parent", "../"+preCheckpointDir))
	}
	es = append(es, extra...)
	if rounds > 0 {
		es = append(es, symlink(preCheckpointDir, fmt.Sprintf("chain/r%d", rounds)))
	}
	return es
}

// withConfig replaces config.dump by testConfig changed by change.
func withConfig(t *testing.T, in Incoming, es []entry, change func(map[string]any)) []entry {
	c := testConfig(in)
	change(c)
	return with(es, file("config.dump", jsonOf(c)))
}

// with replaces the entries of es named like the given ones.
func with(es []entry, repl ...entry) []entry {
	out := append([]entry(nil), es...)
	for _, r := range repl {
		for i := range out {
			if out[i].name == r.name {
				out[i] = r
			}
		}
	}
	return out
}

func without(es []entry, name string) []entry {
	var out []entry
	for _, e := range es {
		if e.name != name {
			out = append(out, e)
		}
	}
	return out
}

// specWith is testSpec changed by change.
func specWith(t *testing.T, change func(map[string]any)) entry {
	var m map[string]any
	if err := json.Unmarshal([]byte(testSpec), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	return file("spec.dump", jsonOf(m))
}

// An archive that does not match the announce, or holds what Podman's
// import would write outside the container, is refused when it arrives
// (422): Podman never sees it, nothing of it is kept, the migration is
// failed (restore: 409) for the orchestrator to roll back.
func TestArchiveIsValidatedBeforePodmanSeesIt(t *testing.T) {
	in := testIncoming(t)
	good := goodArchive(t, in, 1)
	nested := func(name string, es ...entry) entry { return file(name, string(tarOf(t, es...))) }
	for _, tc := range []struct {
		name string
		tar  func() []byte
		want string // in the refusal; "" for an archive that is accepted
	}{
		{"good", func() []byte { return tarOf(t, good...) }, ""},
		{"absolute path", func() []byte { return tarOf(t, append(good, file("/etc/cron.d/x", "* * * * * root sh"))...) }, "absolute path"},
		{"dot-dot", func() []byte { return tarOf(t, append(good, file("checkpoint/../../../../etc/passwd", "x"))...) }, `".." component`},
		{"device node", func() []byte { return tarOf(t, append(good, entry{name: "checkpoint/mem", typ: tar.TypeChar})...) }, "of type"},
		{"sparse", func() []byte {
			b := tarOf(t, good...)
			return append(b[:len(b)-1024], sparseTar("checkpoint/pages-2.img")...)
		}, "sparse"},
		{"config.dump twice", func() []byte {
			return tarOf(t, append(good, file("config.dump", jsonOf(testConfig(in))))...)
		}, "appears twice"},
		{"unknown entry", func() []byte { return tarOf(t, append(good, file("evil.sh", "x"))...) }, "unexpected entry"},
		{"link out of userdata", func() []byte { return tarOf(t, append(good, symlink("artifacts/x", "/"))...) }, "refusing entry"},
		{"write through a link", func() []byte { return tarOf(t, append(good, file("checkpoint/parent/pages-1.img", "x"))...) }, "through the link"},
		{"pre-checkpoint to a round not received", func() []byte { return tarOf(t, with(good, symlink(preCheckpointDir, "chain/r5"))...) }, "round received"},
		{"pre-checkpoint out", func() []byte { return tarOf(t, with(good, symlink(preCheckpointDir, "/etc"))...) }, "round received"},
		{"checkpoint/parent elsewhere", func() []byte { return tarOf(t, with(good, symlink("checkpoint/parent", "/etc"))...) }, "only -> ../pre-checkpoint"},
		{"setuid file", func() []byte {
			return tarOf(t, append(good, entry{name: "checkpoint/x", typ: tar.TypeReg, body: "x", mode: 0o4755})...)
		}, "set-ID"},
		{"xattrs", func() []byte {
			return tarOf(t, append(good, entry{name: "checkpoint/x", typ: tar.TypeReg, body: "x",
				pax: map[string]string{"SCHILY.xattr.security.capability": "x"}})...)
		}, "extended attributes"},
		{"gzip", func() []byte {
			var b bytes.Buffer
			z := gzip.NewWriter(&b)
			z.Write(tarOf(t, good...))
			z.Close()
			return b.Bytes()
		}, "compressed"},
		{"no spec.dump", func() []byte { return tarOf(t, without(good, "spec.dump")...) }, "no spec.dump"},
		{"privileged", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["privileged"] = true })...)
		}, "privileged: archive true, announced false"},
		{"capability added", func() []byte {
			return tarOf(t, with(good, specWith(t, func(m map[string]any) {
				m["process"].(map[string]any)["capabilities"] = map[string]any{"bounding": []string{"CAP_SYS_ADMIN"}}
			}))...)
		}, `capabilities: archive ["CAP_SYS_ADMIN"], announced ["CAP_CHOWN","CAP_NET_BIND_SERVICE"]`},
		{"hook added", func() []byte {
			return tarOf(t, with(good, specWith(t, func(m map[string]any) {
				m["hooks"] = map[string]any{"prestart": []any{map[string]any{"path": "/bin/sh"}}}
			}))...)
		}, "hooks: archive 1, announced 0"},
		{"host bind mount", func() []byte {
			return tarOf(t, with(good, specWith(t, func(m map[string]any) {
				m["mounts"] = append(m["mounts"].([]any), map[string]any{"destination": "/host", "type": "bind", "source": "/", "options": []string{"rbind"}})
			}))...)
		}, `binds: archive ["/:/host",`},
		{"other spec", func() []byte {
			return tarOf(t, with(good, specWith(t, func(m map[string]any) { m["process"].(map[string]any)["args"] = []string{"/bin/sh"} }))...)
		}, "OCI spec digest"},
		{"image", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["rootfsImageID"] = strings.Repeat("2", 64) })...)
		}, "image 222222222222 is not the announced 111111111111"},
		{"name", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["name"] = "other" })...)
		}, `name "other" is not the announced "web"`},
		{"id", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["id"] = strings.Repeat("c", 64) })...)
		}, "id cccccccccccc is not the announced abababababab"},
		{"volume not announced", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) {
				c["namedVolumes"] = []any{map[string]any{"volumeName": "v1", "dest": "/data"}}
			})...)
		}, `volumes: archive ["v1:/data"], announced null`},
		{"conmon pid file", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["conmonPidFile"] = "/etc/cron.d/x" })...)
		}, `conmonPidFile "/etc/cron.d/x" is not under Podman's run root`},
		{"secrets", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["secrets"] = []any{map[string]any{}} })...)
		}, "secrets"},
		{"another container's netns", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["netNsCtr"] = strings.Repeat("d", 64) })...)
		}, `netNsCtr "dddd`},
		{"rootfs on the host", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["rootfs"] = "/" })...)
		}, `rootfs "/": a container on a host directory`},
		{"timezone out", func() []byte {
			return tarOf(t, withConfig(t, in, good, func(c map[string]any) { c["timezone"] = "../../etc/shadow" })...)
		}, "timezone"},
		{"deleted files dot-dot", func() []byte { return tarOf(t, append(good, file("deleted.files", `["/../../etc"]`))...) }, "deleted.files"},
		{"deleted files root", func() []byte { return tarOf(t, append(good, file("deleted.files", `["/"]`))...) }, "root itself"},
		{"deleted through a rootfs link", func() []byte {
			return tarOf(t, append(good, nested("rootfs-diff.tar", symlink("x", "/")), file("deleted.files", `["/x/etc"]`))...)
		}, "passes through the link"},
		{"rootfs device", func() []byte {
			return tarOf(t, append(good, nested("rootfs-diff.tar", entry{name: "dev/sda", typ: tar.TypeBlock}))...)
		}, "device"},
		{"rootfs write through a link", func() []byte {
			return tarOf(t, append(good, nested("rootfs-diff.tar", symlink("etc", "/etc"), file("etc/passwd", "root::0:0::/:/bin/sh")))...)
		}, "through the link"},
		{"rootfs hard link through a link", func() []byte {
			return tarOf(t, append(good, nested("rootfs-diff.tar", symlink("a", "/"), entry{name: "b", typ: tar.TypeLink, link: "a/etc/shadow"}))...)
		}, "hard link"},
		{"rootfs dot-dot", func() []byte {
			return tarOf(t, append(good, nested("rootfs-diff.tar", file("../../etc/x", "x")))...)
		}, `".." component`},
		{"volume tar with a device", func() []byte {
			return tarOf(t, append(good, dir("volumes"), nested("volumes/v1.tar", entry{name: "kmsg", typ: tar.TypeChar}))...)
		}, "device"},
		{"too many entries", func() []byte {
			es := append([]entry(nil), good...)
			for i := range 60 {
				es = append(es, file(fmt.Sprintf("checkpoint/f%d", i), "x"))
			}
			return tarOf(t, es...)
		}, "more than 50 entries"},
		{"rootfs diff of a container", func() []byte {
			return tarOf(t, append(good, nested("rootfs-diff.tar", dir("tmp"), file("tmp/a", "a"), symlink("tmp/l", "/usr/bin/env"),
				entry{name: "tmp/h", typ: tar.TypeLink, link: "tmp/a"}), file("deleted.files", `["/etc/motd"]`))...)
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, fe := newTarget(t, nil, Limits{MaxEntries: 50})
			base, c := plainTarget(t, s), http.DefaultClient
			announce(t, c, base, in)
			inc := base + "/v1/incoming/" + testID
			if st, body := put(t, c, inc+"/rounds/1", in.Token, roundTar(t, 1), true, -1); st != http.StatusNoContent {
				t.Fatalf("round 1: %d %s", st, body)
			}
			st, body := put(t, c, inc+"/archive", in.Token, tc.tar(), true, -1)
			archive := filepath.Join(s.cfg.StateDir, "in", testID, "checkpoint.tar")
			if tc.want == "" {
				if st != http.StatusNoContent {
					t.Fatalf("archive refused: %d %s", st, body)
				}
				if st, body := call(t, c, "POST", inc+"/restore"); st != http.StatusOK {
					t.Fatalf("restore: %d %s", st, body)
				}
				if restored, _, _ := fe.calls(); len(restored) != 1 || restored[0] != archive {
					t.Errorf("podman restored %v, want %s", restored, archive)
				}
				return
			}
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Fatalf("archive: %d %s; want 422 with %q", st, body, tc.want)
			}
			if st, body := call(t, c, "POST", inc+"/restore"); st != http.StatusConflict || !strings.Contains(body, "roll it back") {
				t.Errorf("restore after a refused archive: %d %s; want 409", st, body)
			}
			if restored, _, _ := fe.calls(); len(restored) != 0 {
				t.Errorf("podman was given %v", restored)
			}
			left, _ := filepath.Glob(filepath.Join(s.cfg.StateDir, "in", testID, "*"))
			left2, _ := filepath.Glob(filepath.Join(s.cfg.StateDir, "in", testID, ".*"))
			if len(left)+len(left2) > 0 || exists(filepath.Join(fe.st.userData(testID), chainDir)) {
				t.Errorf("data of the refused migration left: %v %v", left, left2)
			}
		})
	}
}

// A restore that Podman fails removes what it created: the container and
// the volumes the archive named; the session is failed.
func TestFailedRestoreRemovesWhatItCreated(t *testing.T) {
	in := testIncoming(t)
	in.Profile = testProfile(t, "v1:/data")
	s, fe := newTarget(t, nil, Limits{})
	fe.restoreErr = fmt.Errorf("podman restore --import: CRIU failed")
	base, c := plainTarget(t, s), http.DefaultClient
	announce(t, c, base, in)
	inc := base + "/v1/incoming/" + testID
	put(t, c, inc+"/rounds/1", in.Token, roundTar(t, 1), true, -1)
	arch := withConfig(t, in, goodArchive(t, in, 1, dir("volumes"), file("volumes/v1.tar", string(tarOf(t, file("f", "data"))))),
		func(c map[string]any) { c["namedVolumes"] = []any{map[string]any{"volumeName": "v1", "dest": "/data"}} })
	if st, body := put(t, c, inc+"/archive", in.Token, tarOf(t, arch...), true, -1); st != http.StatusNoContent {
		t.Fatalf("archive: %d %s", st, body)
	}
	st, body := call(t, c, "POST", inc+"/restore")
	if st != http.StatusInternalServerError || !strings.Contains(body, "CRIU failed") {
		t.Fatalf("restore: %d %s; want the podman error", st, body)
	}
	_, removed, vols := fe.calls()
	if strings.Join(removed, ",") != testID || strings.Join(vols, ",") != "v1" {
		t.Errorf("removed containers %v and volumes %v; want %s and v1", removed, vols, testID[:12])
	}
	if _, ok, _ := fe.inspect(t.Context(), testID); ok {
		t.Error("the failed restore's container is still there")
	}
	if _, err := os.Stat(filepath.Join(s.cfg.StateDir, "in", testID, "checkpoint.tar")); err == nil {
		t.Error("the archive of the failed restore is still there")
	}
	if st, body := put(t, c, inc+"/rounds/2", in.Token, roundTar(t, 2), true, -1); st != http.StatusConflict {
		t.Errorf("upload after a failed restore: %d %s; want 409", st, body)
	}
}
