package infra

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/migrlab/migrlab/testbed"
	"golang.org/x/crypto/ssh"
)

// ensureKeyPair creates an ed25519 key pair at path (0600) and path.pub
// unless it exists, and returns the public key line "ssh-ed25519 AAAA...".
func ensureKeyPair(path, comment string) (string, error) {
	if b, err := os.ReadFile(path + ".pub"); err == nil {
		if _, err := os.Stat(path); err == nil {
			return publicLine(string(b)), nil
		}
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return "", err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := testbed.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", err
	}
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
	if err := testbed.WriteFile(path+".pub", []byte(line+" "+comment+"\n"), 0o644); err != nil {
		return "", err
	}
	return line, nil
}

// publicLine keeps the "type base64" part of an OpenSSH public key line.
func publicLine(s string) string {
	f := strings.Fields(s)
	if len(f) < 2 {
		return strings.TrimSpace(s)
	}
	return f[0] + " " + f[1]
}

// clientKeyPath is the testbed's login key.
func (l layout) clientKeyPath() string { return filepath.Join(l.keyDir(), "id_ed25519") }

// hostKeyPath is the private host key of VM vmK, generated on the operator side.
func (l layout) hostKeyPath(vm string) string { return filepath.Join(l.keyDir(), vm+"-host-key") }

// ensureKeys makes the testbed's client key and one host key per VM (names
// vm1..vmN), so that SSH verifies the hosts from the very first connection.
func (l layout) ensureKeys(n int) error {
	if err := os.MkdirAll(l.keyDir(), 0o700); err != nil {
		return err
	}
	if err := os.Chmod(l.keyDir(), 0o700); err != nil {
		return err
	}
	if _, err := ensureKeyPair(l.clientKeyPath(), "migrlab-"+l.name); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		vm := "vm" + strconv.Itoa(i)
		if _, err := ensureKeyPair(l.hostKeyPath(vm), vm); err != nil {
			return err
		}
	}
	return nil
}

// knownHostsLines renders OpenSSH known_hosts lines for hosts.
func knownHostsLines(hosts []testbed.Host) string {
	var b strings.Builder
	for _, h := range hosts {
		addr := h.SSHAddr
		if h.SSHPort != 22 {
			addr = "[" + h.SSHAddr + "]:" + strconv.Itoa(h.SSHPort)
		}
		fmt.Fprintf(&b, "%s %s\n", addr, publicLine(h.HostKey))
	}
	return b.String()
}

// freePortBase returns the first base in 2220, 2230, ... such that base+1..base+n
// are all free on 127.0.0.1.
func freePortBase(n int) (int, error) {
	for base := 2220; base+n < 3000; base += 10 {
		ok := true
		for p := base + 1; p <= base+n && ok; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("infra: no free block of SSH ports in 2221..2999")
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// writeLocalKnownHosts records the host keys of local VMs vm1..vmN, reached at
// 127.0.0.1:base+K, before they boot.
func (l layout) writeLocalKnownHosts(n, base int) error {
	var hosts []testbed.Host
	for i := 1; i <= n; i++ {
		b, err := os.ReadFile(l.hostKeyPath("vm"+strconv.Itoa(i)) + ".pub")
		if err != nil {
			return err
		}
		hosts = append(hosts, testbed.Host{SSHAddr: "127.0.0.1", SSHPort: base + i, HostKey: string(b)})
	}
	return testbed.WriteFile(l.knownHosts(), []byte(knownHostsLines(hosts)), 0o600)
}
