package image

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// DebianImage describes an application image built from Debian packages,
// without any registry: mmdebstrap installs the packages into a root file
// system (the way the testbed's guest image is built) and BuildRootfsArchive
// packs it.
type DebianImage struct {
	// Name of the image, for example localhost/migrlab-redis:latest.
	Name string
	// Suite (default bookworm, the guests' release) and Mirror (default
	// mmdebstrap's).
	Suite, Mirror string
	// Packages to install beside the essential set (bash is always added:
	// the examples' hooks speak to the service through bash's /dev/tcp).
	Packages []string
	// Run is what the image runs.
	Run RunConfig
}

// Redis is the image of examples/app-redis.yaml: Debian's redis-server.
var Redis = DebianImage{Name: "localhost/migrlab-redis:latest", Packages: []string{"redis-server"},
	Run: RunConfig{Cmd: []string{"redis-server"}, Ports: []int{6379}}}

// Memcached is the image of examples/app-memcached.yaml: Debian's memcached,
// by default as the package's memcache user (memcached refuses to run as
// root without -u), with a 64 MiB cache (memcached's own default, so a
// testbed guest holds it with room to spare) and without UDP.
var Memcached = DebianImage{Name: "localhost/migrlab-memcached:latest", Packages: []string{"memcached"},
	Run: RunConfig{Cmd: []string{"memcached", "-u", "memcache", "-m", "64", "-p", "11211", "-U", "0"}, Ports: []int{11211}}}

// Apps are the example applications' images by the name
// cmd/migrlab-app-image takes.
var Apps = map[string]DebianImage{"redis": Redis, "memcached": Memcached}

// AppNames returns the names of Apps, sorted.
func AppNames() []string {
	names := make([]string, 0, len(Apps))
	for n := range Apps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// packages is what mmdebstrap installs beside the essential set.
func (d DebianImage) packages() []string {
	return append([]string{"bash"}, d.Packages...)
}

// mmdebstrapArgs are the arguments of the mmdebstrap that writes d's root
// file system to the tarball rootfs: the essential set plus d's packages,
// without manual pages, documentation and translations.
func (d DebianImage) mmdebstrapArgs(rootfs string) []string {
	suite := d.Suite
	if suite == "" {
		suite = "bookworm"
	}
	args := []string{"--variant=essential", "--include=" + strings.Join(d.packages(), ","),
		"--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/doc/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*", suite, rootfs}
	if d.Mirror != "" {
		args = append(args, d.Mirror)
	}
	return args
}

// BuildDebianArchive builds d into the docker-archive out (see DebianImage)
// and returns its image ID. It needs mmdebstrap and root (or a user
// namespace mmdebstrap can use), and takes about a minute.
func BuildDebianArchive(ctx context.Context, d DebianImage, out string) (string, error) {
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return "", fmt.Errorf("mmdebstrap is not installed (apt-get install mmdebstrap): %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".migrlab-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	rootfs := filepath.Join(tmp, "rootfs.tar")
	args := d.mmdebstrapArgs(rootfs)
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	// A fixed time makes the root file system's files, hence the image,
	// the same from build to build of the same packages.
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+fmt.Sprint(Created.Unix()))
	if b, err := cmd.CombinedOutput(); err != nil {
		tail := string(b)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return "", fmt.Errorf("mmdebstrap %s: %w\n%s", strings.Join(args, " "), err, tail)
	}
	f, err := os.CreateTemp(filepath.Dir(out), ".migrlab-archive-*.tar")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	id, err := BuildRootfsArchive(f, rootfs, d.Name, d.Run, tmp)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err != nil {
		return "", err
	}
	return id, os.Rename(f.Name(), out)
}
