// Package testbed is the contract between the provisioner (package infra)
// and the real backend (package real): the hosts file a testbed's bring-up
// writes (hosts.json: every host's SSH address and recorded host key, its
// private-link address, its agent's port and TLS material, the versions and
// settings measured on it) and how to reach a host over SSH. infra writes it;
// real and the experiment code read it, so neither depends on Terraform.
package testbed

// Backend selects the Terraform root module that makes the hosts.
type Backend string

// Backends.
const (
	// BackendLocal boots QEMU VMs on this machine.
	BackendLocal Backend = "local"
	// BackendSSH configures existing servers reached over SSH.
	BackendSSH Backend = "ssh"
	// BackendAWS creates EC2 instances (needs the AWS provider).
	BackendAWS Backend = "aws"
)

// Testbed is a provisioned set of hosts, as recorded in hosts.json.
type Testbed struct {
	Name    string  `json:"name"`
	Backend Backend `json:"backend"`
	// Dir is the testbed's state directory.
	Dir string `json:"dir"`
	// Accel is the accelerator of local VMs ("kvm" or "tcg"; "none" otherwise).
	Accel string `json:"accel"`
	// KnownHosts is an OpenSSH known_hosts file with every host's recorded key.
	KnownHosts string `json:"known_hosts"`
	Hosts      []Host `json:"hosts"`
	// UpSeconds is how long the last Up took.
	UpSeconds float64 `json:"up_seconds"`
}

// Host is one configured server.
type Host struct {
	Name    string `json:"name"`
	SSHAddr string `json:"ssh_addr"`
	SSHPort int    `json:"ssh_port"`
	SSHUser string `json:"ssh_user"`
	// KeyPath is the SSH private key that logs in.
	KeyPath string `json:"key_path"`
	// HostKey is the recorded public host key ("ssh-ed25519 AAAA...").
	HostKey string `json:"host_key"`
	// PrivateAddr is the host's address on the private migration link.
	PrivateAddr string `json:"private_addr"`
	// PodmanSocket is the path of the Podman API socket on the host.
	PodmanSocket string `json:"podman_socket"`
	// AgentPort is the agent/migration port.
	AgentPort int `json:"agent_port,omitempty"`
	// AgentTLS is the orchestrator's client certificate for the agent
	// (nil: the testbed was brought up without an agent, or by a migrlab
	// older than mutual TLS).
	AgentTLS *AgentTLS `json:"agent_tls,omitempty"`
	Facts    Facts     `json:"facts"`
	// State is filled by Status: "up" or why the host is unreachable.
	State string `json:"state,omitempty"`
}

// Facts are versions and settings measured on a host by the preflight.
type Facts struct {
	Kernel         string `json:"kernel"`
	Podman         string `json:"podman"`
	CRIU           string `json:"criu"`
	Runtime        string `json:"runtime"`
	RuntimeVersion string `json:"runtime_version"`
	Accel          string `json:"accel"`
	THP            string `json:"thp"`
	// NetworkBackend is podman's network stack: netavark or cni.
	NetworkBackend string `json:"network_backend,omitempty"`
	// ASLR is the user-space address randomization: on, or off (local TCG
	// guests boot with norandmaps so that QEMU reuses translated code).
	ASLR string `json:"aslr,omitempty"`
}

// Map returns the facts by their JSON names (a record's provenance, a
// calibration's hosts, a report's versions); accel stands in for an empty Accel
// (the testbed's).
func (f Facts) Map(accel string) map[string]string {
	if f.Accel == "" {
		f.Accel = accel
	}
	return map[string]string{"kernel": f.Kernel, "podman": f.Podman, "criu": f.CRIU, "runtime": f.Runtime,
		"runtime_version": f.RuntimeVersion, "thp": f.THP, "accel": f.Accel, "network_backend": f.NetworkBackend, "aslr": f.ASLR}
}

// AgentTLS locates the orchestrator's client certificate for a host's agent
// (mutual TLS; see package testbed/mtls). The files live in the testbed's
// keys/tls/ directory and are removed by Down.
type AgentTLS struct {
	// CAFile is the testbed CA's certificate (verifies the agent).
	CAFile string `json:"ca_file"`
	// CertFile and KeyFile are the orchestrator's client certificate and key.
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// ServerName is the name the agent's certificate is checked against
	// (the host's name, one of its DNS SANs).
	ServerName string `json:"server_name"`
}
