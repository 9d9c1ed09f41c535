// Package image builds the container image of the migrlab workload as a
// docker-archive tarball (what `podman load` and `docker load` read) that is
// byte-for-byte deterministic: the same binary gives the same archive, hence
// the same image ID on every host that loads it. A CRIU restore needs the
// target to hold the image under the same ID as the source; two `podman
// import`s of one root filesystem do not reliably give that (docs/real.md, "Host facts the backend relies on").
package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

// DefaultName is the image name the testbed uses for the workload.
const DefaultName = "localhost/migrlab-workload:latest"

// BinaryPath is where the workload binary sits in the image; it is the entrypoint.
const BinaryPath = "/migrlab-workload"

// Created is the fixed creation time written into the image (and the
// modification time of every file), so that the image ID does not depend on
// when or where the archive was built.
var Created = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// BuildArchive writes a docker-archive tarball of a one-layer image holding the
// static binary at binPath as /migrlab-workload (the entrypoint) and empty
// /dev, /etc, /proc, /sys and /tmp, tagged imageName (":latest" is added when
// it has no tag; empty means untagged). It returns the image ID,
// "sha256:" + the hex SHA-256 of the image's config, which podman reports for
// the loaded image. The binary must be a static ELF executable; the image's
// architecture is read from its header.
func BuildArchive(w io.Writer, binPath, imageName string) (imageID string, err error) {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return "", err
	}
	arch, err := elfArch(bin)
	if err != nil {
		return "", fmt.Errorf("%s: %w", binPath, err)
	}
	layer, err := layerTar(bin)
	if err != nil {
		return "", err
	}
	diffID := sha256.Sum256(layer)
	config, err := configJSON(arch, "sha256:"+hex.EncodeToString(diffID[:]))
	if err != nil {
		return "", err
	}
	layerDir := hex.EncodeToString(diffID[:])
	item, manifest, cfgHex, err := manifestFor(config, layerDir, imageName)
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(w)
	for _, e := range []entry{
		{name: item.Config, data: config, mode: 0o644},
		{name: layerDir + "/", mode: 0o755},
		{name: item.Layers[0], data: layer, mode: 0o644},
		{name: "manifest.json", data: manifest, mode: 0o644},
	} {
		if err := e.write(tw); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return "sha256:" + cfgHex, nil
}

// manifestFor returns the manifest of a one-layer docker-archive whose
// config is config and whose layer sits in layerDir, tagged imageName (none
// when empty), and the config's digest (the image ID without "sha256:").
func manifestFor(config []byte, layerDir, imageName string) (manifestItem, []byte, string, error) {
	cfgSum := sha256.Sum256(config)
	cfgHex := hex.EncodeToString(cfgSum[:])
	item := manifestItem{Config: cfgHex + ".json", RepoTags: []string{}, Layers: []string{layerDir + "/layer.tar"}}
	if imageName != "" {
		tag, err := normalizeName(imageName)
		if err != nil {
			return item, nil, "", err
		}
		item.RepoTags = []string{tag}
	}
	manifest, err := json.Marshal([]manifestItem{item})
	return item, manifest, cfgHex, err
}

// manifestItem is one image of a docker-archive's manifest.json.
type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// imageConfig is the subset of the Docker image config (v1.2) that we set.
type imageConfig struct {
	Architecture string         `json:"architecture"`
	OS           string         `json:"os"`
	Created      time.Time      `json:"created"`
	Author       string         `json:"author"`
	Config       runConfig      `json:"config"`
	RootFS       rootFS         `json:"rootfs"`
	History      []historyEntry `json:"history"`
}

type runConfig struct {
	Env          []string            `json:"Env"`
	Entrypoint   []string            `json:"Entrypoint"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts"`
	WorkingDir   string              `json:"WorkingDir"`
	Labels       map[string]string   `json:"Labels"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type historyEntry struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
}

// configJSON returns the image config; encoding/json sorts map keys, so the
// bytes are deterministic.
func configJSON(arch, diffID string) ([]byte, error) {
	port := fmt.Sprint(probe.DefaultPort)
	return json.Marshal(imageConfig{
		Architecture: arch,
		OS:           "linux",
		Created:      Created,
		Author:       "migrlab",
		Config: runConfig{
			Env:          []string{"PATH=/"},
			Entrypoint:   []string{BinaryPath},
			ExposedPorts: map[string]struct{}{port + "/tcp": {}, port + "/udp": {}},
			WorkingDir:   "/",
			Labels:       map[string]string{"org.migrlab.workload": "1"},
		},
		RootFS:  rootFS{Type: "layers", DiffIDs: []string{diffID}},
		History: []historyEntry{{Created: Created, CreatedBy: "migrlab real/image.BuildArchive"}},
	})
}

// layerTar returns the layer: the binary plus the directories a runtime mounts over.
func layerTar(bin []byte) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range []entry{
		{name: "dev/", mode: 0o755},
		{name: "etc/", mode: 0o755},
		{name: strings.TrimPrefix(BinaryPath, "/"), data: bin, mode: 0o755},
		{name: "proc/", mode: 0o555},
		{name: "sys/", mode: 0o555},
		{name: "tmp/", mode: 0o1777},
	} {
		if err := e.write(tw); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// entry is a file, or a directory when its name ends in "/".
type entry struct {
	name string
	data []byte
	mode int64
}

// write writes e with fixed owner (root) and time, in USTAR format.
func (e entry) write(tw *tar.Writer) error {
	h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: Created, Format: tar.FormatUSTAR, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
	if strings.HasSuffix(e.name, "/") {
		h.Typeflag, h.Size = tar.TypeDir, 0
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("tar %s: %w", e.name, err)
	}
	_, err := tw.Write(e.data)
	return err
}

// normalizeName adds ":latest" to a name without a tag.
func normalizeName(name string) (string, error) {
	if strings.ContainsAny(name, " \t\n@") || strings.HasPrefix(name, "/") || strings.HasSuffix(name, ":") {
		return "", fmt.Errorf("image name %q: want [registry/]repository[:tag] without a digest", name)
	}
	if i := strings.LastIndex(name, ":"); i < 0 || strings.Contains(name[i:], "/") {
		name += ":latest"
	}
	return name, nil
}

// elfArch maps the binary's ELF machine to a GOARCH-style image architecture.
func elfArch(bin []byte) (string, error) {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return "", fmt.Errorf("not an ELF binary: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("dynamically linked (it has an interpreter); a FROM-scratch image needs a static binary (CGO_ENABLED=0)")
		}
	}
	switch {
	case f.Machine == elf.EM_X86_64:
		return "amd64", nil
	case f.Machine == elf.EM_AARCH64:
		return "arm64", nil
	case f.Machine == elf.EM_PPC64 && f.ByteOrder.String() == "LittleEndian":
		return "ppc64le", nil
	case f.Machine == elf.EM_S390:
		return "s390x", nil
	case f.Machine == elf.EM_RISCV && f.Class == elf.ELFCLASS64:
		return "riscv64", nil
	}
	return "", fmt.Errorf("unsupported ELF machine %s (%s)", f.Machine, f.Class)
}
