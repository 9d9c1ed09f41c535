// Package mtls is the mutual-TLS identity of a testbed's migrlab agents: a
// per-testbed certificate authority, one certificate per host (server and
// client: the agent serves with it and presents it to peer agents) and one
// client certificate for the orchestrator. Package infra makes them at
// provisioning; package real/agent and package real use them. Only the
// standard library's crypto is used.
//
// A certificate's role is its subject's organizational unit: RoleHost or
// RoleOrchestrator. The agent serves its full API only to RoleOrchestrator.
package mtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Roles, carried in a certificate's Subject.OrganizationalUnit.
const (
	// RoleHost is a testbed host's agent (server, and client of peer agents).
	RoleHost = "migrlab-host"
	// RoleOrchestrator is the operator side (migrlab run, calibrate, demo).
	RoleOrchestrator = "migrlab-orchestrator"
)

// Files of an agent's TLS directory on a host (--tls-dir).
const (
	CAFile   = "ca.crt"
	CertFile = "agent.crt"
	KeyFile  = "agent.key"
)

// Validity of the certificates. A testbed is re-keyed by down + up.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 5 * 365 * 24 * time.Hour
	// RenewBefore: Up issues a new certificate when the old one expires sooner.
	RenewBefore = 30 * 24 * time.Hour
)

// CA is a certificate authority that issues a testbed's certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// CertPEM is Cert, PEM-encoded.
	CertPEM []byte
}

// NewCA makes a new CA named after the testbed.
func NewCA(testbed string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"migrlab"}, CommonName: "migrlab testbed " + testbed + " CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// LoadCA reads a CA written by WriteCA.
func LoadCA(certFile, keyFile string) (*CA, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s: not a CA certificate", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s does not belong to %s", keyFile, certFile)
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM}, nil
}

// WriteCA writes the CA's certificate (0644) and key (0600).
func (ca *CA) WriteCA(certFile, keyFile string) error {
	kb, err := marshalKey(ca.Key)
	if err != nil {
		return err
	}
	if err := writeFile(keyFile, kb, 0o600); err != nil {
		return err
	}
	return writeFile(certFile, ca.CertPEM, 0o644)
}

// Leaf describes a certificate to issue.
type Leaf struct {
	// Role is RoleHost or RoleOrchestrator.
	Role string
	// Name is the subject's common name (and a DNS SAN for a host).
	Name string
	// IPs are IP SANs (a host: 127.0.0.1, ::1 and its private address).
	IPs []net.IP
}

// Issue makes a key and a certificate for l and returns both PEM-encoded.
// RoleHost certificates are for server and client authentication,
// RoleOrchestrator certificates for client authentication only.
func (ca *CA) Issue(l Leaf) (certPEM, keyPEM []byte, err error) {
	var usage []x509.ExtKeyUsage
	var dns []string
	switch l.Role {
	case RoleHost:
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		dns = []string{l.Name}
	case RoleOrchestrator:
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return nil, nil, fmt.Errorf("mtls: unknown role %q", l.Role)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{Organization: []string{"migrlab"}, OrganizationalUnit: []string{l.Role},
			CommonName: l.Name},
		NotBefore:   now.Add(-time.Hour),
		NotAfter:    now.Add(leafValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: usage,
		DNSNames:    dns,
		IPAddresses: l.IPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, nil, err
	}
	kb, err := marshalKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), kb, nil
}

// Covers reports whether the certificate in certFile was issued by ca for
// l (role, name and every IP of l) and is valid for more than RenewBefore.
func (ca *CA) Covers(certFile, keyFile string, l Leaf) bool {
	b, err := os.ReadFile(certFile)
	if err != nil {
		return false
	}
	if _, err := tls.LoadX509KeyPair(certFile, keyFile); err != nil {
		return false
	}
	c, err := parseCert(b)
	if err != nil || c.CheckSignatureFrom(ca.Cert) != nil || Role(c) != l.Role || c.Subject.CommonName != l.Name {
		return false
	}
	if time.Until(c.NotAfter) < RenewBefore {
		return false
	}
	for _, ip := range l.IPs {
		if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// Role returns the role of a certificate ("" when it has none).
func Role(c *x509.Certificate) string {
	for _, ou := range c.Subject.OrganizationalUnit {
		if ou == RoleHost || ou == RoleOrchestrator {
			return ou
		}
	}
	return ""
}

// Identity is what one side of a connection needs: its own certificate and
// the testbed CA to verify the other side.
type Identity struct {
	Cert tls.Certificate
	CAs  *x509.CertPool
}

// LoadIdentity reads a certificate, its key and the CA certificate.
func LoadIdentity(caFile, certFile, keyFile string) (*Identity, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no certificate", caFile)
	}
	return &Identity{Cert: cert, CAs: pool}, nil
}

// LoadDir reads an agent's TLS directory (CAFile, CertFile, KeyFile).
func LoadDir(dir string) (*Identity, error) {
	return LoadIdentity(filepath.Join(dir, CAFile), filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile))
}

// ServerConfig is the agent's listener configuration: TLS 1.3, a client
// certificate issued by the testbed CA required.
func (id *Identity) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.Cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    id.CAs,
	}
}

// ClientConfig presents id's certificate and verifies the server's against
// the testbed CA. serverName "" means the host of the address dialled (the
// peer agents' private addresses are IP SANs of their certificates).
func (id *Identity) ClientConfig(serverName string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.Cert},
		RootCAs:      id.CAs,
		ServerName:   serverName,
	}
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n.Add(n, big.NewInt(1))
}

func parseCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func parseKey(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is a %T, want ECDSA", k)
	}
	return ek, nil
}

func marshalKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteFile writes b to path with mode through a temporary file and rename;
// the directory is made 0700 if missing.
func WriteFile(path string, b []byte, mode os.FileMode) error { return writeFile(path, b, mode) }

func writeFile(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
