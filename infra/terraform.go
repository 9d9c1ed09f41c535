package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/migrlab/migrlab/testbed"
)

// ErrNoTerraform is returned when neither Terraform nor OpenTofu is found.
var ErrNoTerraform = errors.New(`infra: terraform not found. Install one of:
  - Terraform >= 1.4: apt-get install terraform (HashiCorp's apt repository) or a release zip from releases.hashicorp.com
  - go install github.com/hashicorp/terraform@v1.11.4   (builds it from the Go module proxy into $GOPATH/bin)
  - OpenTofu, then point migrlab at it: MIGRLAB_TERRAFORM=/path/to/tofu`)

// FindTerraform returns the Terraform binary to run: explicit if set, else
// $MIGRLAB_TERRAFORM, else terraform or tofu on PATH.
func FindTerraform(explicit string) (string, error) {
	for _, p := range []string{explicit, os.Getenv("MIGRLAB_TERRAFORM")} {
		if p == "" {
			continue
		}
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("infra: terraform binary %q: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"terraform", "tofu"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNoTerraform
}

// stage is one terraform apply of Up: the resources it targets (none: all)
// and the phase name shown in progress lines.
type stage struct {
	Name    string
	Targets []string
}

// stages lists the applies of Up for a backend. The local backend applies in
// three steps so that progress shows image build, boot and configuration.
func stages(b testbed.Backend) []stage {
	switch b {
	case testbed.BackendLocal:
		return []stage{
			{Name: "image", Targets: []string{"terraform_data.image"}},
			{Name: "boot", Targets: []string{"terraform_data.vm"}},
			{Name: "configure"},
		}
	case testbed.BackendAWS:
		return []stage{
			{Name: "instances", Targets: []string{"aws_instance.host"}},
			{Name: "configure"},
		}
	default:
		return []stage{{Name: "configure"}}
	}
}

// applyOptions turns a stage into terraform-exec options.
func (s stage) applyOptions() []tfexec.ApplyOption {
	var opts []tfexec.ApplyOption
	for _, t := range s.Targets {
		opts = append(opts, tfexec.Target(t))
	}
	return opts
}

// normalize fills defaults and checks a Spec.
func normalize(s Spec) (Spec, error) {
	if s.Name == "" {
		s.Name = "local"
	}
	if s.Backend == "" {
		s.Backend = testbed.BackendLocal
	}
	if s.Accel == "" {
		s.Accel = AccelAuto
	}
	if s.MemoryMiB == 0 {
		s.MemoryMiB = 2560
	}
	if s.CPUs == 0 {
		s.CPUs = 2
	}
	if s.CPUs < 1 || s.CPUs > 64 {
		return s, fmt.Errorf("infra: cpus = %d: each local VM needs 1 to 64 vCPUs (for example --cpus 2)", s.CPUs)
	}
	if s.AgentPort == 0 {
		s.AgentPort = 7070
	}
	if s.BootTimeout == 0 {
		s.BootTimeout = 15 * time.Minute
	}
	switch s.Backend {
	case testbed.BackendLocal, testbed.BackendAWS:
		if s.Hosts == 0 {
			s.Hosts = 2
		}
		if s.Hosts < 2 {
			return s, fmt.Errorf("infra: hosts = %d: a testbed needs at least 2", s.Hosts)
		}
	case testbed.BackendSSH:
		if len(s.Servers) < 2 {
			return s, fmt.Errorf("infra: ssh backend needs at least 2 servers, got %d", len(s.Servers))
		}
		for i, sv := range s.Servers {
			if err := sv.validate(); err != nil {
				return s, fmt.Errorf("infra: server %d: %w", i+1, err)
			}
		}
		s.Hosts = len(s.Servers)
	default:
		return s, fmt.Errorf("infra: unknown backend %q (want local, ssh or aws)", s.Backend)
	}
	switch s.Accel {
	case AccelAuto, AccelKVM, AccelTCG:
	default:
		return s, fmt.Errorf("infra: unknown accel %q (want auto, kvm or tcg)", s.Accel)
	}
	// Terraform runs in the testbed directory: a relative path would name
	// a file there, not the one the user meant.
	var err error
	if s.AgentBinary != "" {
		if s.AgentBinary, err = filepath.Abs(s.AgentBinary); err != nil {
			return s, fmt.Errorf("infra: agent binary: %w", err)
		}
	}
	if len(s.ImageArchives) > 0 {
		abs := make([]string, len(s.ImageArchives))
		for i, a := range s.ImageArchives {
			if abs[i], err = filepath.Abs(a); err != nil {
				return s, fmt.Errorf("infra: image archive: %w", err)
			}
		}
		s.ImageArchives = abs
	}
	return s, nil
}

// checkLocalFiles fails fast, before Terraform starts, when the agent binary
// or an image archive the hosts should receive is not a readable file.
func checkLocalFiles(s Spec) error {
	check := func(what, path, fix string) error {
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("infra: %s %s: %w (%s)", what, path, errors.Unwrap(err), fix)
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("infra: %s %s is not a regular file (%s)", what, path, fix)
		}
		return nil
	}
	if s.AgentBinary != "" {
		if err := check("agent binary", s.AgentBinary, "build it with `just build` and pass bin/migrlab"); err != nil {
			return err
		}
	}
	for _, a := range s.ImageArchives {
		if err := check("image archive", a, "give an existing docker-archive tarball"); err != nil {
			return err
		}
	}
	return nil
}

// tfVars builds the root module's input variables (terraform.tfvars.json).
// portBase is the local backend's SSH port base.
func tfVars(s Spec, l layout, portBase int) (map[string]any, error) {
	common := map[string]any{
		"image_archives": nonNil(s.ImageArchives),
		"agent_binary":   s.AgentBinary,
		"agent_args":     nonNil(s.AgentArgs),
		"agent_port":     s.AgentPort,
	}
	if s.AgentBinary != "" {
		// Made by ensureAgentTLS: ca.crt, NAME.crt and NAME.key per host.
		common["agent_tls_dir"] = l.tlsDir()
	}
	switch s.Backend {
	case testbed.BackendLocal:
		common["name"] = s.Name
		common["hosts"] = s.Hosts
		common["accel"] = string(s.Accel)
		common["memory_mib"] = s.MemoryMiB
		common["cpus"] = s.CPUs
		common["ssh_port_base"] = portBase
		common["work_dir"] = l.dir()
		common["boot_timeout"] = int(s.BootTimeout / time.Second)
		if s.ImageCacheDir != "" {
			common["image_cache_dir"] = s.ImageCacheDir
		}
	case testbed.BackendSSH:
		servers := make([]Server, len(s.Servers))
		for i, sv := range s.Servers {
			if sv.Port == 0 {
				sv.Port = 22
			}
			if sv.User == "" {
				sv.User = "root"
			}
			if sv.Name == "" {
				sv.Name = "host" + strconv.Itoa(i+1)
			}
			servers[i] = sv
		}
		common["servers"] = servers
	case testbed.BackendAWS:
		common["name"] = s.Name
		common["hosts"] = s.Hosts
		common["key_dir"] = l.keyDir()
		for k, v := range map[string]string{"region": s.AWS.Region, "instance_type": s.AWS.InstanceType,
			"ami": s.AWS.AMI, "operator_cidr": s.AWS.OperatorCIDR} {
			if v != "" {
				common[k] = v
			}
		}
	}
	return common, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// tfHost is one element of the root modules' "hosts" output.
type tfHost struct {
	Name           string `json:"name"`
	SSHAddr        string `json:"ssh_addr"`
	SSHPort        int    `json:"ssh_port"`
	SSHUser        string `json:"ssh_user"`
	PrivateKeyPath string `json:"private_key_path"`
	HostKey        string `json:"host_key"`
	PrivateAddr    string `json:"private_addr"`
	PodmanSocket   string `json:"podman_socket"`
	FactsPath      string `json:"facts_path"`
	AgentPort      int    `json:"agent_port"`
}

// outputs are the parts of `terraform output -json` Up uses.
type outputs struct {
	Accel string
	Hosts []tfHost
}

func parseOutputs(m map[string]tfexec.OutputMeta) (outputs, error) {
	var o outputs
	h, ok := m["hosts"]
	if !ok {
		return o, errors.New("infra: terraform output has no \"hosts\"")
	}
	if err := json.Unmarshal(h.Value, &o.Hosts); err != nil {
		return o, fmt.Errorf("infra: terraform output hosts: %w", err)
	}
	o.Accel = "none"
	if a, ok := m["accel"]; ok {
		if err := json.Unmarshal(a.Value, &o.Accel); err != nil {
			return o, fmt.Errorf("infra: terraform output accel: %w", err)
		}
	}
	return o, nil
}

// newTerraform prepares terraform-exec in the backend's working directory,
// with all output going to log.
func newTerraform(bin, workdir string, log io.Writer) (*tfexec.Terraform, error) {
	tf, err := tfexec.NewTerraform(workdir, bin)
	if err != nil {
		return nil, err
	}
	tf.SetStdout(log)
	tf.SetStderr(log)
	return tf, nil
}
