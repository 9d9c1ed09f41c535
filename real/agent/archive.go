package agent

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
)

// Podman's checkpoint archive (an export, plus the pre-checkpoint link the
// source agent appends) as the target accepts it. Podman's import unpacks
// it into the container's userdata, rebuilds the container from
// config.dump and spec.dump, unpacks rootfs-diff.tar into its root file
// system and the volume tars into new volumes, and deletes the paths in
// deleted.files from its root: validateArchive checks all of that before
// Podman sees the archive.

// maxConfigBytes caps config.dump, spec.dump and deleted.files.
const maxConfigBytes = 16 << 20

// archiveTop are the top-level entries of an archive and their kinds.
var archiveTop = map[string]byte{
	"config.dump": 'c', "spec.dump": 'c', "deleted.files": 'c',
	"network.status": 'f', "stats-dump": 'f', "ctr.log": 'f',
	"rootfs-diff.tar": 'n', "devshm-checkpoint.tar": 'n',
	"artifacts": 'd', "checkpoint": 'd', "volumes": 'v',
	preCheckpointDir: 'l',
}

// archiveExpect is what an archive must match.
type archiveExpect struct {
	in Incoming
	// rounds are the pre-dump rounds received (pre-checkpoint must name one).
	rounds map[int]bool
	// runRoot is Podman's run root on this host.
	runRoot    string
	maxEntries int
}

// archiveFacts is what a valid archive will make.
type archiveFacts struct {
	// volumes are the named volumes the restore creates.
	volumes []string
}

// validateArchive checks the archive at file against exp.
func validateArchive(file string, exp archiveExpect) (archiveFacts, error) {
	var facts archiveFacts
	f, err := os.Open(file)
	if err != nil {
		return facts, err
	}
	defer f.Close()
	var head [6]byte
	n, _ := io.ReadFull(f, head[:])
	for _, magic := range []string{"\x1f\x8b", "BZh", "\xfd7zXZ\x00", "\x28\xb5\x2f\xfd"} { // what Podman would decompress
		if strings.HasPrefix(string(head[:n]), magic) {
			return facts, errors.New("the archive is compressed: the target accepts only a plain tar (the source agent sends one)")
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return facts, err
	}
	n = 0
	rules := newTarRules("archive", exp.maxEntries, &n)
	small := map[string][]byte{}
	var rootfsLinks map[string]bool
	parentLink, preLink := false, false
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return facts, fmt.Errorf("reading the archive: %w", err)
		}
		name, err := rules.check(h)
		if err != nil {
			return facts, err
		}
		top, rest, _ := strings.Cut(name, "/")
		kind, known := archiveTop[top]
		isReg := h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeRegA
		isDir := h.Typeflag == tar.TypeDir
		switch {
		case name == ".":
		case !known:
			return facts, fmt.Errorf("archive: unexpected entry %q (not part of a Podman checkpoint export)", h.Name)
		case kind == 'c' && isReg:
			if h.Size > maxConfigBytes {
				return facts, fmt.Errorf("archive: %s is %d bytes, more than %d", name, h.Size, maxConfigBytes)
			}
			if small[name], err = io.ReadAll(tr); err != nil {
				return facts, fmt.Errorf("archive: reading %s: %w", name, err)
			}
		case kind == 'f' && isReg && rest == "":
		case kind == 'n' && isReg && rest == "":
			links, err := checkNestedTar(tr, name, exp.maxEntries, &n)
			if err != nil {
				return facts, err
			}
			if name == "rootfs-diff.tar" {
				rootfsLinks = links
			}
		case kind == 'd' && (isDir || isReg && rest != ""):
		case kind == 'd' && name == checkpointDir+"/parent" && h.Typeflag == tar.TypeSymlink:
			if h.Linkname != "../"+preCheckpointDir {
				return facts, fmt.Errorf("archive: refusing symlink %q -> %q (only -> ../%s)", h.Name, h.Linkname, preCheckpointDir)
			}
			parentLink = true
		case kind == 'v' && isDir && rest == "":
		case kind == 'v' && isReg && !strings.Contains(rest, "/") && strings.HasSuffix(rest, ".tar"):
			if _, err := checkNestedTar(tr, name, exp.maxEntries, &n); err != nil {
				return facts, err
			}
		case kind == 'l' && h.Typeflag == tar.TypeSymlink:
			k, ok := strings.CutPrefix(h.Linkname, chainDir+"/r")
			r, err := strconv.Atoi(k)
			if !ok || err != nil || !exp.rounds[r] || h.Linkname != chainDir+"/"+roundName(r) {
				return facts, fmt.Errorf("archive: refusing symlink %q -> %q (only -> %s/rN for a round received)", h.Name, h.Linkname, chainDir)
			}
			preLink = true
		default:
			return facts, fmt.Errorf("archive: refusing entry %q of type %q there", h.Name, h.Typeflag)
		}
	}
	if parentLink && !preLink {
		return facts, fmt.Errorf("archive: %s/parent names ../%s but the archive has no %s link", checkpointDir, preCheckpointDir, preCheckpointDir)
	}
	for _, need := range []string{"config.dump", "spec.dump"} {
		if small[need] == nil {
			return facts, fmt.Errorf("archive: no %s: not a Podman checkpoint export", need)
		}
	}
	cfg, err := checkConfigDump(small["config.dump"], exp)
	if err != nil {
		return facts, err
	}
	got := Profile{Privileged: cfg.Privileged}
	if err := specProfile(&got, small["spec.dump"]); err != nil {
		return facts, fmt.Errorf("archive: spec.dump: %w", err)
	}
	for _, v := range cfg.NamedVolumes {
		got.Volumes = append(got.Volumes, volumeRef(v.Name, v.Dest))
		facts.volumes = append(facts.volumes, v.Name)
	}
	got.Volumes = sorted(got.Volumes)
	if d := exp.in.Profile.Diff(got); d != "" {
		return facts, fmt.Errorf("archive: the container's configuration differs from what was announced (%s): it would not run as the source's did", d)
	}
	if b, ok := small["deleted.files"]; ok {
		if err := checkDeletedFiles(b, rootfsLinks, exp.maxEntries); err != nil {
			return facts, err
		}
	}
	return facts, nil
}

// checkNestedTar checks a tar inside the archive (a root file-system diff,
// a volume, /dev/shm): unpacked into the container's file systems, it may
// hold what a container's file system holds (links anywhere, set-ID bits,
// extended attributes), but no device nodes, nothing outside its root and
// nothing written through a link of its own. It returns its links.
func checkNestedTar(r io.Reader, what string, max int, n *int) (map[string]bool, error) {
	rules := newTarRules(what, max, n)
	rules.xattrs, rules.setid = true, true
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return rules.links, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		if _, err := rules.check(h); err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeFifo:
		case tar.TypeLink:
			if err := rules.checkHardlink(h); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: refusing entry %q of type %q (device nodes and the like)", what, h.Name, h.Typeflag)
		}
	}
}

// checkDeletedFiles checks deleted.files: Podman removes each path
// (recursively) under the container's root, so none may leave it, name
// the root itself, or pass through a link the root file-system diff makes.
func checkDeletedFiles(b []byte, links map[string]bool, max int) error {
	var paths []string
	if err := jsonUnmarshal(b, &paths); err != nil {
		return fmt.Errorf("archive: deleted.files: %w", err)
	}
	if len(paths) > max {
		return fmt.Errorf("archive: deleted.files lists %d paths, more than %d", len(paths), max)
	}
	for _, p := range paths {
		trimmed := strings.TrimLeft(p, "/")
		rel, err := cleanRel(trimmed)
		if p != "" && trimmed == "" || err == nil && rel == "." {
			err = errors.New("the container's root itself")
		}
		if err != nil {
			return fmt.Errorf("archive: deleted.files: refusing %q: %v", p, err)
		}
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			if links[d] {
				return fmt.Errorf("archive: deleted.files: refusing %q: it passes through the link %q of rootfs-diff.tar", p, d)
			}
		}
	}
	return nil
}
