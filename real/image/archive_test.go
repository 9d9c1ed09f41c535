package image

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeELF returns a minimal ELF64 little-endian executable header for machine,
// with a PT_INTERP program header when dynamic is set.
func fakeELF(machine elf.Machine, dynamic bool, payload string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	le := binary.LittleEndian
	phoff, phnum := uint64(0), uint16(0)
	if dynamic {
		phoff, phnum = 64, 1
	}
	for _, v := range []any{uint16(elf.ET_EXEC), uint16(machine), uint32(1), uint64(0x401000), phoff, uint64(0),
		uint32(0), uint16(64), uint16(56), phnum, uint16(64), uint16(0), uint16(0)} {
		binary.Write(&b, le, v)
	}
	if dynamic {
		for _, v := range []any{uint32(elf.PT_INTERP), uint32(4), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(1)} {
			binary.Write(&b, le, v)
		}
	}
	b.WriteString(payload)
	return b.Bytes()
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

func readTar(t *testing.T, b []byte) ([]string, map[string]tarEntry) {
	t.Helper()
	var names []string
	entries := map[string]tarEntry{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, entries
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		entries[h.Name] = tarEntry{h, data}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestBuildArchive(t *testing.T) {
	tests := []struct {
		name, image, wantTag, wantArch string
		machine                        elf.Machine
	}{
		{"default name", DefaultName, DefaultName, "amd64", elf.EM_X86_64},
		{"tag added", "localhost/wl", "localhost/wl:latest", "amd64", elf.EM_X86_64},
		{"registry with port, no tag", "registry:5000/wl", "registry:5000/wl:latest", "amd64", elf.EM_X86_64},
		{"arm64", "localhost/wl:v1", "localhost/wl:v1", "arm64", elf.EM_AARCH64},
		{"untagged", "", "", "amd64", elf.EM_X86_64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := fakeELF(tt.machine, false, "static workload")
			path := writeFile(t, bin)
			var a, b bytes.Buffer
			idA, err := BuildArchive(&a, path, tt.image)
			if err != nil {
				t.Fatal(err)
			}
			idB, err := BuildArchive(&b, path, tt.image)
			if err != nil {
				t.Fatal(err)
			}
			if idA != idB || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatalf("two builds differ: %s vs %s, %d vs %d bytes", idA, idB, a.Len(), b.Len())
			}

			names, entries := readTar(t, a.Bytes())
			var manifest []manifestItem
			if err := json.Unmarshal(entries["manifest.json"].data, &manifest); err != nil || len(manifest) != 1 {
				t.Fatalf("manifest.json: %v %s", err, entries["manifest.json"].data)
			}
			item := manifest[0]
			layerDir := strings.TrimSuffix(item.Layers[0], "/layer.tar")
			if want := []string{item.Config, layerDir + "/", item.Layers[0], "manifest.json"}; !slices.Equal(names, want) {
				t.Errorf("archive entries %q, want %q", names, want)
			}
			config := entries[item.Config].data
			if idA != "sha256:"+sha(config) || item.Config != sha(config)+".json" {
				t.Errorf("image ID %s, config %s: want the config's digest %s", idA, item.Config, sha(config))
			}
			if wantTags := []string{tt.wantTag}; tt.wantTag != "" && !slices.Equal(item.RepoTags, wantTags) || tt.wantTag == "" && len(item.RepoTags) != 0 {
				t.Errorf("RepoTags %q, want %q", item.RepoTags, tt.wantTag)
			}

			layer := entries[item.Layers[0]].data
			var cfg imageConfig
			if err := json.Unmarshal(config, &cfg); err != nil {
				t.Fatal(err)
			}
			if cfg.Architecture != tt.wantArch || cfg.OS != "linux" || !cfg.Created.Equal(Created) ||
				!slices.Equal(cfg.Config.Entrypoint, []string{BinaryPath}) || !slices.Equal(cfg.RootFS.DiffIDs, []string{"sha256:" + sha(layer)}) ||
				layerDir != sha(layer) || len(cfg.Config.ExposedPorts) != 2 {
				t.Errorf("config %s (layer digest %s)", config, sha(layer))
			}

			lnames, lentries := readTar(t, layer)
			if want := []string{"dev/", "etc/", "migrlab-workload", "proc/", "sys/", "tmp/"}; !slices.Equal(lnames, want) {
				t.Errorf("layer entries %q, want %q", lnames, want)
			}
			if e := lentries["migrlab-workload"]; !bytes.Equal(e.data, bin) || e.hdr.Mode != 0o755 || e.hdr.Typeflag != tar.TypeReg {
				t.Errorf("binary entry %+v with %d bytes", e.hdr, len(e.data))
			}
			if e := lentries["tmp/"]; e.hdr.Mode != 0o1777 || e.hdr.Typeflag != tar.TypeDir {
				t.Errorf("tmp entry %+v", e.hdr)
			}
			for _, tarball := range []map[string]tarEntry{entries, lentries} {
				for n, e := range tarball {
					if !e.hdr.ModTime.Equal(Created) || e.hdr.Uid != 0 || e.hdr.Gid != 0 {
						t.Errorf("%s: mtime %s uid %d gid %d", n, e.hdr.ModTime, e.hdr.Uid, e.hdr.Gid)
					}
				}
			}
		})
	}
}

// TestImageIDDependsOnContentOnly: another binary gives another ID; another
// name gives another archive but the same image ID.
func TestImageIDDependsOnContentOnly(t *testing.T) {
	build := func(payload, name string) (string, []byte) {
		var b bytes.Buffer
		id, err := BuildArchive(&b, writeFile(t, fakeELF(elf.EM_X86_64, false, payload)), name)
		if err != nil {
			t.Fatal(err)
		}
		return id, b.Bytes()
	}
	id1, ar1 := build("v1", "localhost/a")
	id2, ar2 := build("v1", "localhost/b")
	id3, _ := build("v2", "localhost/a")
	if id1 != id2 || bytes.Equal(ar1, ar2) {
		t.Errorf("renaming: IDs %s %s (want equal), archives equal %v (want different)", id1, id2, bytes.Equal(ar1, ar2))
	}
	if id1 == id3 {
		t.Errorf("another binary gives the same ID %s", id1)
	}
}

func TestBuildArchiveErrors(t *testing.T) {
	tests := []struct {
		name, image, wantErr string
		bin                  []byte
	}{
		{"not ELF", DefaultName, "not an ELF", []byte("#!/bin/sh\necho hi\n")},
		{"dynamic", DefaultName, "static", fakeELF(elf.EM_X86_64, true, "")},
		{"unsupported machine", DefaultName, "unsupported", fakeELF(elf.EM_MIPS, false, "")},
		{"digest in name", "localhost/wl@sha256:abc", "image name", fakeELF(elf.EM_X86_64, false, "")},
		{"empty tag", "localhost/wl:", "image name", fakeELF(elf.EM_X86_64, false, "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := BuildArchive(io.Discard, writeFile(t, tt.bin), tt.image)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	if _, err := BuildArchive(io.Discard, filepath.Join(t.TempDir(), "missing"), DefaultName); err == nil {
		t.Error("missing binary: no error")
	}
}
