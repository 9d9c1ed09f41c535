package infra

import (
	"io"
	"time"

	"github.com/migrlab/migrlab/testbed"
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
	Backend testbed.Backend
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
