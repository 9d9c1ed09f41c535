package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	spec "github.com/opencontainers/runtime-spec/specs-go"
)

// Profile is the security-relevant part of a container's configuration:
// what Podman rebuilds a container with when it restores it from an
// archive. The source agent reads it from the running container (its OCI
// spec, U/config.json, which Podman's checkpoint copies to spec.dump, and
// Podman's inspect); the target agent reads it from the archive's spec.dump
// and config.dump and restores only if the two are equal.
type Profile struct {
	// SpecDigest is the SHA-256 (hex) of the whole OCI runtime spec,
	// decoded and re-encoded: any change to it (capabilities, mounts,
	// devices, namespaces, hooks, seccomp, user, process) changes it.
	SpecDigest string `json:"spec_digest"`
	// Privileged is Podman's --privileged (config.dump "privileged").
	Privileged bool `json:"privileged"`
	// Volumes are the named volumes, "name:destination", sorted
	// (config.dump "namedVolumes"; inspect's mounts of type volume).
	Volumes []string `json:"volumes,omitempty"`
	// The rest is read from the spec, to name what differs when
	// SpecDigest does and for an orchestrator's policy.

	// User is the process's "uid:gid".
	User string `json:"user"`
	// Capabilities is the process's bounding set, sorted.
	Capabilities []string `json:"capabilities,omitempty"`
	// Namespaces are the namespaces the container gets, sorted: "type", or
	// "type=path" for one it joins.
	Namespaces []string `json:"namespaces,omitempty"`
	// Binds are the bind mounts, "source:destination", sorted.
	Binds []string `json:"binds,omitempty"`
	// Devices are the device nodes created in the container, sorted.
	Devices []string `json:"devices,omitempty"`
	// Hooks counts the OCI hooks (they run on the host).
	Hooks int `json:"hooks,omitempty"`
}

// Digest returns the SHA-256 (hex) of the profile's canonical JSON.
func (p Profile) Digest() string {
	b, _ := json.Marshal(p)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Diff names the fields in which got differs from want ("" when equal).
func (want Profile) Diff(got Profile) string {
	var d []string
	field := func(name string, w, g any) {
		wb, _ := json.Marshal(w)
		gb, _ := json.Marshal(g)
		if string(wb) != string(gb) {
			d = append(d, fmt.Sprintf("%s: archive %s, announced %s", name, gb, wb))
		}
	}
	field("privileged", want.Privileged, got.Privileged)
	field("volumes", want.Volumes, got.Volumes)
	field("user", want.User, got.User)
	field("capabilities", want.Capabilities, got.Capabilities)
	field("namespaces", want.Namespaces, got.Namespaces)
	field("binds", want.Binds, got.Binds)
	field("devices", want.Devices, got.Devices)
	field("hooks", want.Hooks, got.Hooks)
	if want.SpecDigest != got.SpecDigest {
		d = append(d, fmt.Sprintf("OCI spec digest: archive %.12s, announced %.12s", got.SpecDigest, want.SpecDigest))
	}
	return strings.Join(d, "; ")
}

// specProfile fills p's spec-derived fields from an OCI runtime spec (the
// JSON of U/config.json or spec.dump).
func specProfile(p *Profile, specJSON []byte) error {
	var s spec.Spec
	if err := json.Unmarshal(specJSON, &s); err != nil {
		return fmt.Errorf("OCI spec: %w", err)
	}
	canon, err := json.Marshal(&s)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(canon)
	p.SpecDigest = hex.EncodeToString(sum[:])
	p.User, p.Capabilities = "", nil
	if s.Process != nil {
		p.User = strconv.FormatUint(uint64(s.Process.User.UID), 10) + ":" + strconv.FormatUint(uint64(s.Process.User.GID), 10)
		if s.Process.Capabilities != nil {
			p.Capabilities = sorted(s.Process.Capabilities.Bounding)
		}
	}
	p.Binds = nil
	for _, m := range s.Mounts {
		if m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind") {
			p.Binds = append(p.Binds, m.Source+":"+m.Destination)
		}
	}
	p.Binds = sorted(p.Binds)
	p.Namespaces, p.Devices = nil, nil
	if s.Linux != nil {
		for _, ns := range s.Linux.Namespaces {
			n := string(ns.Type)
			if ns.Path != "" {
				n += "=" + ns.Path
			}
			p.Namespaces = append(p.Namespaces, n)
		}
		for _, d := range s.Linux.Devices {
			p.Devices = append(p.Devices, d.Path)
		}
	}
	p.Namespaces, p.Devices = sorted(p.Namespaces), sorted(p.Devices)
	p.Hooks = 0
	if h := s.Hooks; h != nil {
		p.Hooks = len(h.Prestart) + len(h.CreateRuntime) + len(h.CreateContainer) + len(h.StartContainer) + len(h.Poststart) + len(h.Poststop)
	}
	return nil
}

// volumeRef is a named volume as "name:destination".
func volumeRef(name, dest string) string { return name + ":" + dest }

func sorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
