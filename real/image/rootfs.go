package image

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
)

// RunConfig is what an image built by BuildRootfsArchive runs.
type RunConfig struct {
	// Entrypoint and Cmd as in a Dockerfile (exec form).
	Entrypoint, Cmd []string
	// Env are KEY=VALUE pairs (PATH is added when missing).
	Env []string
	// Ports are exposed TCP ports (documentation only).
	Ports []int
	// Labels of the image.
	Labels map[string]string
}

// BuildRootfsArchive writes a docker-archive tarball (what `podman load`
// reads) of a one-layer image whose layer is the root file system in the
// tarball rootfs (for example `mmdebstrap ... bookworm rootfs.tar`), tagged
// imageName, running cfg. The layer keeps the tarball's files with their
// names cleaned ("./etc" is "etc"); device nodes and everything under /dev,
// /proc and /sys are left out (a runtime mounts its own). The archive holds
// the layer once; tmpDir receives a temporary copy of it ("" for the
// default). It returns the image ID podman reports for the loaded image.
func BuildRootfsArchive(w io.Writer, rootfs, imageName string, cfg RunConfig, tmpDir string) (imageID string, err error) {
	in, err := os.Open(rootfs)
	if err != nil {
		return "", err
	}
	defer in.Close()
	layer, err := os.CreateTemp(tmpDir, "migrlab-layer-*.tar")
	if err != nil {
		return "", err
	}
	defer os.Remove(layer.Name())
	defer layer.Close()
	h := sha256.New()
	if err := cleanLayer(io.MultiWriter(layer, h), in); err != nil {
		return "", fmt.Errorf("%s: %w", rootfs, err)
	}
	size, err := layer.Seek(0, io.SeekCurrent)
	if err != nil {
		return "", err
	}
	diffID := hex.EncodeToString(h.Sum(nil))
	config, err := rootfsConfig(cfg, "sha256:"+diffID)
	if err != nil {
		return "", err
	}
	item, manifest, cfgHex, err := manifestFor(config, diffID, imageName)
	if err != nil {
		return "", err
	}
	tw := tar.NewWriter(w)
	for _, e := range []entry{{name: item.Config, data: config, mode: 0o644}, {name: diffID + "/", mode: 0o755}} {
		if err := e.write(tw); err != nil {
			return "", err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: item.Layers[0], Mode: 0o644, Size: size, ModTime: Created, Format: tar.FormatPAX}); err != nil {
		return "", err
	}
	if _, err := layer.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	if _, err := io.Copy(tw, layer); err != nil {
		return "", err
	}
	if err := (entry{name: "manifest.json", data: manifest, mode: 0o644}).write(tw); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	return "sha256:" + cfgHex, nil
}

// cleanLayer copies the tar stream in to out without the root entry, device
// nodes and what lies under dev/, proc/ and sys/ (their directories stay).
func cleanLayer(out io.Writer, in io.Reader) error {
	tr, tw := tar.NewReader(in), tar.NewWriter(out)
	n := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" || h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock || h.Typeflag == tar.TypeFifo {
			continue
		}
		if top, rest, _ := strings.Cut(name, "/"); rest != "" && (top == "dev" || top == "proc" || top == "sys") {
			continue
		}
		if h.Typeflag == tar.TypeDir {
			name += "/"
		}
		h.Name = name
		if h.Typeflag == tar.TypeLink {
			h.Linkname = strings.TrimPrefix(path.Clean("/"+h.Linkname), "/")
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("no files: not a root file system tarball")
	}
	return tw.Close()
}

// rootfsConfig is the image config of BuildRootfsArchive.
func rootfsConfig(cfg RunConfig, diffID string) ([]byte, error) {
	env := cfg.Env
	hasPath := false
	for _, e := range env {
		hasPath = hasPath || strings.HasPrefix(e, "PATH=")
	}
	if !hasPath {
		env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	}
	ports := map[string]struct{}{}
	for _, p := range cfg.Ports {
		ports[fmt.Sprintf("%d/tcp", p)] = struct{}{}
	}
	labels := map[string]string{"org.migrlab.app": "1"}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	type appConfig struct {
		runConfig
		Cmd []string `json:"Cmd"`
	}
	return json.Marshal(struct {
		Architecture string         `json:"architecture"`
		OS           string         `json:"os"`
		Created      any            `json:"created"`
		Author       string         `json:"author"`
		Config       appConfig      `json:"config"`
		RootFS       rootFS         `json:"rootfs"`
		History      []historyEntry `json:"history"`
	}{
		Architecture: runtime.GOARCH, OS: "linux", Created: Created, Author: "migrlab",
		Config: appConfig{runConfig: runConfig{Env: env, Entrypoint: cfg.Entrypoint, ExposedPorts: ports, WorkingDir: "/", Labels: labels},
			Cmd: cfg.Cmd},
		RootFS:  rootFS{Type: "layers", DiffIDs: []string{diffID}},
		History: []historyEntry{{Created: Created, CreatedBy: "migrlab real/image.BuildRootfsArchive"}},
	})
}

// ArchiveImageID returns the ID and tags of the (first) image in a
// docker-archive: "sha256:" + its config's digest, which podman reports
// once the archive is loaded.
func ArchiveImageID(archive string) (id string, tags []string, err error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", nil, fmt.Errorf("%s: no manifest.json: not a docker-archive (write one with podman save --format docker-archive)", archive)
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", archive, err)
		}
		if path.Clean(h.Name) != "manifest.json" {
			continue
		}
		var m []manifestItem
		if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil || len(m) == 0 {
			return "", nil, fmt.Errorf("%s: manifest.json: not a docker-archive manifest (%v)", archive, err)
		}
		cfg := strings.TrimSuffix(path.Base(m[0].Config), ".json")
		cfg = strings.TrimPrefix(cfg, "sha256:")
		if len(cfg) != 64 {
			return "", nil, fmt.Errorf("%s: manifest.json names the config %q, not a digest", archive, m[0].Config)
		}
		return "sha256:" + cfg, m[0].RepoTags, nil
	}
}
