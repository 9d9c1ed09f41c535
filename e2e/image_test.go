//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// testImage is loaded on every host of the shared testbed (same image ID
// everywhere, as a restore needs): a static busybox, CMD /bin/sh.
const testImage = "localhost/migrlab-busybox:latest"

// busyboxArchive writes a docker-archive of testImage built from the host's
// static busybox (Debian package busybox-static, installed if missing) and
// returns its path. The archive is byte-for-byte deterministic.
func busyboxArchive(dir string) (string, error) {
	bb := "/bin/busybox"
	if _, err := os.Stat(bb); err != nil {
		logf("installing busybox-static for the test image (apt-get)")
		if out, err := exec.Command("apt-get", "install", "-y", "-qq", "busybox-static").CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get install busybox-static: %v: %s", err, out)
		}
	}
	bin, err := os.ReadFile(bb)
	if err != nil {
		return "", err
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		return "", fmt.Errorf("busybox --list: %w", err)
	}
	epoch := time.Unix(0, 0)
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for _, d := range []string{"bin/", "dev/", "etc/", "proc/", "sys/", "tmp/"} {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch})
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/busybox", Mode: 0o755, Size: int64(len(bin)), ModTime: epoch})
	tw.Write(bin)
	for _, a := range strings.Fields(string(list)) {
		if a != "busybox" {
			// Relative links, so they resolve inside the container.
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: epoch})
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	layerSum := sha256.Sum256(layer.Bytes())
	layerHex := hex.EncodeToString(layerSum[:])
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": epoch.UTC().Format(time.RFC3339),
		"config": map[string]any{"Cmd": []string{"/bin/sh"}, "Env": []string{"PATH=/bin"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + layerHex}},
	})
	configSum := sha256.Sum256(config)
	configName := hex.EncodeToString(configSum[:]) + ".json"
	manifest, _ := json.Marshal([]map[string]any{{
		"Config": configName, "RepoTags": []string{testImage}, "Layers": []string{layerHex + "/layer.tar"},
	}})
	var out bytes.Buffer
	aw := tar.NewWriter(&out)
	for _, f := range []struct {
		name string
		data []byte
	}{{layerHex + "/layer.tar", layer.Bytes()}, {configName, config}, {"manifest.json", manifest}} {
		aw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: epoch})
		aw.Write(f.data)
	}
	if err := aw.Close(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "migrlab-busybox.tar")
	return path, os.WriteFile(path, out.Bytes(), 0o644)
}
