package infra

import (
	"io"
	"time"
)

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

// Accel is the QEMU accelerator of a local testbed.
type Accel string

// Accelerators.
const (
	// AccelAuto uses KVM when a real KVM is present and TCG otherwise.
	AccelAuto Accel = "auto"
	// AccelKVM forces hardware virtualisation.
	AccelKVM Accel = "kvm"
	// AccelTCG forces QEMU's emulator (slow, works everywhere).
	AccelTCG Accel = "tcg"
)

// Spec describes the testbed Up should make. Zero values mean defaults.
type Spec struct {
	// Name of the testbed (default "local"); several testbeds can coexist.
	Name string
	// Backend (default BackendLocal).
	Backend Backend
	// Hosts is the number of VMs or instances (local, aws; default 2, at least 2).
	Hosts int
	// Accel for local VMs (default AccelAuto).
	Accel Accel
	// MemoryMiB and CPUs of each local VM (defaults 2560 and 2).
	MemoryMiB, CPUs int
	// StateDir is the state root (default StateRoot()).
	StateDir string
	// ImageCacheDir caches built guest images (default ~/.cache/migrlab/images).
	ImageCacheDir string
	// ImageArchives are local image archives podman-loaded on every host.
	ImageArchives []string
	// AgentBinary, when set, is installed as the migrlab agent with AgentArgs.
	AgentBinary string
	// AgentArgs are the arguments of `migrlab agent` on the hosts.
	AgentArgs []string
	// AgentPort is the agent/migration port (default 7070).
	AgentPort int
	// Servers are the existing hosts of BackendSSH.
	Servers []Server
	// AWS holds the settings of BackendAWS.
	AWS AWSOptions
	// BootTimeout bounds the wait for one local VM's SSH (default 15m).
	BootTimeout time.Duration
	// Terraform is the terraform or tofu binary (default: $MIGRLAB_TERRAFORM,
	// then terraform, then tofu on PATH).
	Terraform string
	// Progress receives one line per step with elapsed seconds (nil: discard).
	Progress io.Writer
	// Log receives Terraform's full output in addition to the testbed's
	// terraform.log (nil: only the file).
	Log io.Writer
	// SkipDeps disables installing missing apt packages for the local backend.
	SkipDeps bool
}

// Server is an existing host for BackendSSH. The JSON names match the ssh
// root module's `servers` variable and the --hosts-file format.
type Server struct {
	Name           string `json:"name"`
	Address        string `json:"address"`
	Port           int    `json:"port"`
	User           string `json:"user"`
	PrivateKeyPath string `json:"private_key_path"`
	HostKey        string `json:"host_key"`
	PrivateAddr    string `json:"private_addr"`
}

// AWSOptions are the settings of BackendAWS (see terraform/aws/README.md).
type AWSOptions struct {
	Region       string `json:"region,omitempty"`
	InstanceType string `json:"instance_type,omitempty"`
	AMI          string `json:"ami,omitempty"`
	OperatorCIDR string `json:"operator_cidr,omitempty"`
}

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
