package agent

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// dumpConfig is what the target reads of an archive's config.dump:
// libpod's ContainerConfig (JSON names of Podman v4), from which Podman's
// import rebuilds the container. Its OCI spec is ignored there (spec.dump
// replaces it).
type dumpConfig struct {
	ID            string       `json:"id"`
	Name          string       `json:"name"`
	Pod           string       `json:"pod"`
	Dependencies  []string     `json:"Dependencies"`
	RootfsImageID string       `json:"rootfsImageID"`
	Rootfs        string       `json:"rootfs"`
	RootfsOverlay bool         `json:"rootfs_overlay"`
	RootfsMapping *string      `json:"rootfs_mapping"`
	NamedVolumes  []dumpVolume `json:"namedVolumes"`
	Privileged    bool         `json:"privileged"`

	OverlayVolumes  []json.RawMessage          `json:"overlayVolumes"`
	ImageVolumes    []json.RawMessage          `json:"ctrImageVolumes"`
	Secrets         []json.RawMessage          `json:"secrets"`
	EnvSecrets      map[string]json.RawMessage `json:"secret_env"`
	DeviceHostSrc   []json.RawMessage          `json:"device_host_src"`
	MountAllDevices bool                       `json:"mountAllDevices"`
	CDIDevices      []string                   `json:"cdiDevices"`
	ChrootDirs      []string                   `json:"chroot_directories"`
	HostUsers       []string                   `json:"HostUsers"`

	IPCNsCtr    string `json:"ipcNsCtr"`
	MountNsCtr  string `json:"mountNsCtr"`
	NetNsCtr    string `json:"netNsCtr"`
	PIDNsCtr    string `json:"pidNsCtr"`
	UserNsCtr   string `json:"userNsCtr"`
	UTSNsCtr    string `json:"utsNsCtr"`
	CgroupNsCtr string `json:"cgroupNsCtr"`

	ConmonPidFile string `json:"conmonPidFile"`
	PidFile       string `json:"pid_file"`
	Timezone      string `json:"timezone"`
}

// dumpVolume is a named volume of config.dump.
type dumpVolume struct {
	Name string `json:"volumeName"`
	Dest string `json:"dest"`
}

// checkConfigDump checks config.dump against the announcement and against
// what a container the agent created (POST /v1/containers) can hold: it
// names every problem. Its privileged flag and volumes are compared with
// the announced profile by the caller.
func checkConfigDump(b []byte, exp archiveExpect) (dumpConfig, error) {
	var c dumpConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("archive: config.dump: %w", err)
	}
	var bad []string
	need := func(ok bool, format string, a ...any) {
		if !ok {
			bad = append(bad, fmt.Sprintf(format, a...))
		}
	}
	in := exp.in
	need(c.ID == in.ID, "id %.12s is not the announced %.12s", c.ID, in.ID)
	need(c.Name == in.Name, "name %q is not the announced %q", c.Name, in.Name)
	need(c.RootfsImageID == in.ImageID, "image %.12s is not the announced %.12s", c.RootfsImageID, in.ImageID)
	need(c.Rootfs == "" && !c.RootfsOverlay && c.RootfsMapping == nil, "rootfs %q: a container on a host directory cannot be migrated", c.Rootfs)
	need(c.Pod == "" && len(c.Dependencies) == 0, "pod %q / dependencies %v: containers in pods or with dependencies cannot be migrated", c.Pod, c.Dependencies)
	for _, ns := range []struct{ field, v string }{{"ipcNsCtr", c.IPCNsCtr}, {"mountNsCtr", c.MountNsCtr}, {"netNsCtr", c.NetNsCtr},
		{"pidNsCtr", c.PIDNsCtr}, {"userNsCtr", c.UserNsCtr}, {"utsNsCtr", c.UTSNsCtr}, {"cgroupNsCtr", c.CgroupNsCtr}} {
		need(ns.v == "", "%s %q: joining another container's namespace is refused", ns.field, ns.v)
	}
	need(len(c.OverlayVolumes) == 0 && len(c.ImageVolumes) == 0, "overlay or image volumes are refused")
	need(len(c.Secrets) == 0 && len(c.EnvSecrets) == 0, "secrets are refused (they would be taken from this host)")
	need(len(c.DeviceHostSrc) == 0 && !c.MountAllDevices && len(c.CDIDevices) == 0, "host devices are refused")
	need(len(c.ChrootDirs) == 0 && len(c.HostUsers) == 0, "chroot directories and host users are refused")
	for _, p := range []struct{ field, v string }{{"conmonPidFile", c.ConmonPidFile}, {"pid_file", c.PidFile}} {
		need(p.v == "" || under(p.v, exp.runRoot), "%s %q is not under Podman's run root %s (Podman would write it as root)", p.field, p.v, exp.runRoot)
	}
	tz, err := cleanRel(c.Timezone)
	need(c.Timezone == "" || err == nil && tz == c.Timezone, "timezone %q is not a zone name (Podman copies /usr/share/zoneinfo/NAME)", c.Timezone)
	for _, v := range c.NamedVolumes {
		need(nameRE.MatchString(v.Name), "volume name %q", v.Name)
		need(path.IsAbs(v.Dest) && path.Clean(v.Dest) == v.Dest && !strings.Contains(v.Dest, ".."), "volume destination %q", v.Dest)
	}
	if len(bad) > 0 {
		return c, fmt.Errorf("archive: config.dump: %s", strings.Join(bad, "; "))
	}
	return c, nil
}

// under reports whether p is a clean absolute path strictly inside dir.
func under(p, dir string) bool {
	return dir != "" && path.IsAbs(p) && path.Clean(p) == p && !strings.Contains(p, "..") &&
		strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}
