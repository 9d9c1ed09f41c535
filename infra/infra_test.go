package infra

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/migrlab/migrlab/testbed"
)

func TestNormalizeDefaults(t *testing.T) {
	s, err := normalize(Spec{})
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Name: "local", Backend: testbed.BackendLocal, Hosts: 2, Accel: AccelAuto, MemoryMiB: 2560, CPUs: 2,
		AgentPort: 7070, BootTimeout: 15 * time.Minute}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("normalize(Spec{}) = %+v, want %+v", s, want)
	}
}

func TestNormalizeErrors(t *testing.T) {
	for name, s := range map[string]Spec{
		"one host":      {Hosts: 1},
		"bad accel":     {Accel: "hvf"},
		"bad backend":   {Backend: "gcp"},
		"ssh one host":  {Backend: testbed.BackendSSH, Servers: []Server{{Name: "a"}}},
		"ssh no server": {Backend: testbed.BackendSSH},
		"no cpus":       {CPUs: -1},
		"too many cpus": {CPUs: 65},
	} {
		if _, err := normalize(s); err == nil {
			t.Errorf("%s: normalize(%+v) succeeded", name, s)
		}
	}
	if _, err := normalize(Spec{CPUs: 65}); err == nil || !strings.Contains(err.Error(), "--cpus") {
		t.Errorf("cpus 65: %v, want the error to name --cpus", err)
	}
}

func TestLayoutRejectsBadNames(t *testing.T) {
	for _, n := range []string{"", "Local", "../x", "a/b", "1abc", strings.Repeat("a", 40)} {
		if _, err := newLayout(t.TempDir(), n); err == nil {
			t.Errorf("newLayout(%q) succeeded", n)
		}
	}
}

func TestStateRootFromEnvironment(t *testing.T) {
	t.Setenv("MIGRLAB_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "/xdg")
	if got, _ := StateRoot(); got != "/xdg/migrlab" {
		t.Errorf("XDG: StateRoot() = %q", got)
	}
	t.Setenv("MIGRLAB_STATE_DIR", "/explicit")
	if got, _ := StateRoot(); got != "/explicit" {
		t.Errorf("MIGRLAB_STATE_DIR: StateRoot() = %q", got)
	}
	t.Setenv("MIGRLAB_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got, _ := StateRoot(); got != "/home/u/.local/state/migrlab" {
		t.Errorf("HOME: StateRoot() = %q", got)
	}
}

// varsJSON renders tfVars as terraform.tfvars.json would hold them.
func varsJSON(t *testing.T, s Spec, l layout, base int) map[string]any {
	t.Helper()
	s, err := normalize(s)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tfVars(s, l, base)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLocalVars(t *testing.T) {
	l, _ := newLayout("/state", "e2e")
	got := varsJSON(t, Spec{Name: "e2e", Hosts: 3, Accel: AccelTCG, ImageCacheDir: "/cache",
		ImageArchives: []string{"/a.tar"}, BootTimeout: 10 * time.Minute}, l, 2230)
	want := map[string]any{
		"name": "e2e", "hosts": 3.0, "accel": "tcg", "memory_mib": 2560.0, "cpus": 2.0,
		"ssh_port_base": 2230.0, "work_dir": "/state/testbeds/e2e", "boot_timeout": 600.0,
		"image_cache_dir": "/cache", "image_archives": []any{"/a.tar"}, "agent_binary": "",
		"agent_args": []any{}, "agent_port": 7070.0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("local tfvars:\n got %v\nwant %v", got, want)
	}
}

func TestSSHVarsFillServerDefaults(t *testing.T) {
	l, _ := newLayout("/state", "lab")
	got := varsJSON(t, Spec{Backend: testbed.BackendSSH, Servers: []Server{
		{Address: "192.0.2.1", PrivateKeyPath: "/k", HostKey: "ssh-ed25519 AAAA", PrivateAddr: "10.0.0.1"},
		{Name: "b", Address: "192.0.2.2", Port: 2222, User: "admin", PrivateKeyPath: "/k", HostKey: "ssh-ed25519 BBBB", PrivateAddr: "10.0.0.2"},
	}}, l, 0)
	servers := got["servers"].([]any)
	first := servers[0].(map[string]any)
	if first["name"] != "host1" || first["port"] != 22.0 || first["user"] != "root" {
		t.Errorf("defaults not filled: %v", first)
	}
	second := servers[1].(map[string]any)
	if second["name"] != "b" || second["port"] != 2222.0 || second["user"] != "admin" || second["private_addr"] != "10.0.0.2" {
		t.Errorf("explicit values changed: %v", second)
	}
	for _, k := range []string{"name", "hosts", "accel", "work_dir"} {
		if _, ok := got[k]; ok {
			t.Errorf("ssh tfvars has %q, which the ssh module does not declare", k)
		}
	}
}

func TestAWSVars(t *testing.T) {
	l, _ := newLayout("/state", "cloud")
	got := varsJSON(t, Spec{Name: "cloud", Backend: testbed.BackendAWS, AWS: AWSOptions{Region: "us-east-1", OperatorCIDR: "198.51.100.7/32"}}, l, 0)
	if got["key_dir"] != "/state/testbeds/cloud/keys" || got["region"] != "us-east-1" ||
		got["operator_cidr"] != "198.51.100.7/32" || got["hosts"] != 2.0 {
		t.Errorf("aws tfvars: %v", got)
	}
	if _, ok := got["ami"]; ok {
		t.Error("empty ami must be left to the module default")
	}
}

func TestStages(t *testing.T) {
	local := stages(testbed.BackendLocal)
	var names []string
	for _, s := range local {
		names = append(names, s.Name)
	}
	if strings.Join(names, ",") != "image,boot,configure" {
		t.Fatalf("local stages = %v", names)
	}
	if !reflect.DeepEqual(local[0].Targets, []string{"terraform_data.image"}) ||
		!reflect.DeepEqual(local[1].Targets, []string{"terraform_data.vm"}) || local[2].Targets != nil {
		t.Errorf("local stage targets = %+v", local)
	}
	if n := len(local[1].applyOptions()); n != 1 {
		t.Errorf("boot stage has %d apply options, want 1 (-target)", n)
	}
	if n := len(local[2].applyOptions()); n != 0 {
		t.Errorf("configure stage has %d apply options, want 0 (full apply)", n)
	}
	if s := stages(testbed.BackendSSH); len(s) != 1 || s[0].Targets != nil {
		t.Errorf("ssh stages = %+v", s)
	}
}

func TestParseOutputs(t *testing.T) {
	m := map[string]tfexec.OutputMeta{
		"accel": {Value: json.RawMessage(`"tcg"`)},
		"hosts": {Value: json.RawMessage(`[{"name":"vm1","ssh_addr":"127.0.0.1","ssh_port":2221,"ssh_user":"root",
			"private_key_path":"/k","host_key":"ssh-ed25519 AAAA","private_addr":"10.10.0.1",
			"podman_socket":"/run/podman/podman.sock","facts_path":"/etc/migrlab/facts.json","agent_port":7070}]`)},
	}
	o, err := parseOutputs(m)
	if err != nil {
		t.Fatal(err)
	}
	want := tfHost{Name: "vm1", SSHAddr: "127.0.0.1", SSHPort: 2221, SSHUser: "root", PrivateKeyPath: "/k",
		HostKey: "ssh-ed25519 AAAA", PrivateAddr: "10.10.0.1", PodmanSocket: "/run/podman/podman.sock",
		FactsPath: "/etc/migrlab/facts.json", AgentPort: 7070}
	if o.Accel != "tcg" || len(o.Hosts) != 1 || o.Hosts[0] != want {
		t.Fatalf("parseOutputs = %+v", o)
	}
	delete(m, "accel")
	if o, _ := parseOutputs(m); o.Accel != "none" {
		t.Errorf("no accel output: Accel = %q, want none", o.Accel)
	}
	if _, err := parseOutputs(map[string]tfexec.OutputMeta{}); err == nil {
		t.Error("missing hosts output accepted")
	}
}

func TestKeysAndKnownHosts(t *testing.T) {
	l, _ := newLayout(t.TempDir(), "k")
	if err := l.ensureKeys(2); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(l.hostKeyPath("vm1") + ".pub")
	if err := l.ensureKeys(2); err != nil { // idempotent: keeps keys
		t.Fatal(err)
	}
	after, _ := os.ReadFile(l.hostKeyPath("vm1") + ".pub")
	if string(before) != string(after) {
		t.Error("ensureKeys replaced an existing host key")
	}
	for _, p := range []string{l.clientKeyPath(), l.hostKeyPath("vm1"), l.hostKeyPath("vm2")} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, err %v; want 0600", p, fi.Mode().Perm(), err)
		}
	}
	if err := l.writeLocalKnownHosts(2, 2220); err != nil {
		t.Fatal(err)
	}
	kh, _ := os.ReadFile(l.knownHosts())
	lines := strings.Split(strings.TrimSpace(string(kh)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "[127.0.0.1]:2221 ssh-ed25519 ") ||
		!strings.HasPrefix(lines[1], "[127.0.0.1]:2222 ssh-ed25519 ") || strings.Count(lines[0], " ") != 2 {
		t.Errorf("known_hosts:\n%s", kh)
	}
	if got := knownHostsLines([]testbed.Host{{SSHAddr: "h", SSHPort: 22, HostKey: "ssh-ed25519 AAAA c"}}); got != "h ssh-ed25519 AAAA\n" {
		t.Errorf("port 22 line = %q", got)
	}
}

func TestWriteModules(t *testing.T) {
	l, _ := newLayout(t.TempDir(), "m")
	if err := l.writeModules(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"modules/host/main.tf", "modules/host/scripts/preflight.sh", "local/main.tf",
		"local/scripts/vm.sh", "local/scripts/image.sh", "ssh/main.tf", "aws/main.tf", "aws/README.md"} {
		fi, err := os.Stat(filepath.Join(l.tfRoot(), f))
		if err != nil {
			t.Errorf("module file %s: %v", f, err)
			continue
		}
		if strings.HasSuffix(f, ".sh") && fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("%s is not executable", f)
		}
	}
}

func TestDownOfAbsentTestbedIsNoop(t *testing.T) {
	if err := Down(t.Context(), "absent", WithStateDir(t.TempDir())); err != nil {
		t.Fatal(err)
	}
}

func TestFindTerraformExplicitMissing(t *testing.T) {
	t.Setenv("MIGRLAB_TERRAFORM", "")
	if _, err := FindTerraform("/nonexistent/terraform"); err == nil {
		t.Fatal("missing explicit terraform accepted")
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := FindTerraform(""); err != ErrNoTerraform {
		t.Fatalf("FindTerraform with empty PATH = %v, want ErrNoTerraform", err)
	}
}

func TestScriptLinesForwardsOnlyScriptMessages(t *testing.T) {
	var out strings.Builder
	p := newProgress(&out, "t")
	w := &scriptLines{p: p}
	w.Write([]byte("terraform_data.vm[0] (local-exec): Executing: [\"/bin/sh\" \"-c\" \"bash '/x/migrlab/vm.sh' boot\"]\n"))
	w.Write([]byte("terraform_data.vm[0] (local-exec): migrlab: booting vm1\nmodule.host[0].terraform_data.preflight (remote-exec): migrlab[vm1]: pre"))
	w.Write([]byte("flight ok\nterraform_data.vm[0]: Still creating... [10s elapsed]\n"))
	got := out.String()
	if strings.Count(got, "\n") != 2 || !strings.Contains(got, "testbed t: migrlab: booting vm1\n") ||
		!strings.Contains(got, "testbed t: migrlab[vm1]: preflight ok\n") {
		t.Errorf("forwarded:\n%s", got)
	}
}

// TestDownKillsLeftoversWithoutTerraformState simulates a crash during Up:
// a "VM" process recorded by a pidfile, no Terraform state. Down must kill
// it and remove the testbed directory.
func TestDownKillsLeftoversWithoutTerraformState(t *testing.T) {
	l, _ := newLayout(t.TempDir(), "crashed")
	vmDir := filepath.Join(l.runDir(), "vm1")
	if err := os.MkdirAll(vmDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// $0 names the run dir, as QEMU's -drive file=... does.
	cmd := exec.Command("sh", "-c", "sleep 300", filepath.Join(vmDir, "disk.qcow2"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()
	os.WriteFile(filepath.Join(vmDir, "qemu.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o600)
	// An unrelated process in an unrelated pidfile must survive.
	other := exec.Command("sleep", "300")
	other.Start()
	defer other.Process.Kill()
	os.WriteFile(filepath.Join(vmDir, "other.pid"), []byte(strconv.Itoa(other.Process.Pid)), 0o600)

	if err := Down(t.Context(), "crashed", WithStateDir(l.root)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("leftover VM process still running after Down")
	}
	if fileExists(l.dir()) {
		t.Error("testbed directory left after Down")
	}
	if err := other.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("Down killed an unrelated process: %v", err)
	}
}

func TestUpWithoutTerraformSaysHowToGetIt(t *testing.T) {
	t.Setenv("MIGRLAB_TERRAFORM", "")
	t.Setenv("PATH", t.TempDir())
	_, err := Up(t.Context(), Spec{StateDir: t.TempDir(), SkipDeps: true})
	if err != ErrNoTerraform {
		t.Fatalf("Up without terraform: %v, want ErrNoTerraform", err)
	}
	for _, hint := range []string{"go install github.com/hashicorp/terraform@", "MIGRLAB_TERRAFORM", "apt-get"} {
		if !strings.Contains(err.Error(), hint) {
			t.Errorf("error lacks %q: %v", hint, err)
		}
	}
}

func TestDestroyDoesNotNeedLocalFiles(t *testing.T) {
	if n := len(destroyOptions()); n != 3 {
		t.Fatalf("destroyOptions: %d options, want -var image_archives=[], -var agent_binary= and -var agent_tls_dir=", n)
	}
}

func TestNormalizeMakesLocalPathsAbsolute(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	s, err := normalize(Spec{AgentBinary: "bin/migrlab", ImageArchives: []string{"w.tar", "/abs/x.tar"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(wd, "bin/migrlab"); s.AgentBinary != want {
		t.Errorf("AgentBinary = %q, want %q", s.AgentBinary, want)
	}
	if want := []string{filepath.Join(wd, "w.tar"), "/abs/x.tar"}; !reflect.DeepEqual(s.ImageArchives, want) {
		t.Errorf("ImageArchives = %q, want %q", s.ImageArchives, want)
	}
}

func TestUpRejectsMissingLocalFilesBeforeTerraform(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "w.tar")
	if err := os.WriteFile(archive, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tt := range map[string]struct {
		spec Spec
		want string
	}{
		"agent":   {Spec{AgentBinary: filepath.Join(dir, "nope"), ImageArchives: []string{archive}}, "agent binary " + filepath.Join(dir, "nope") + ": no such file or directory (build it with `just build`"},
		"archive": {Spec{ImageArchives: []string{archive, filepath.Join(dir, "missing.tar")}}, "image archive " + filepath.Join(dir, "missing.tar") + ": no such file"},
		"dir":     {Spec{AgentBinary: dir}, "agent binary " + dir + " is not a regular file"},
	} {
		tt.spec.StateDir = filepath.Join(dir, "state")
		tt.spec.Terraform = filepath.Join(dir, "no-terraform") // never reached
		_, err := Up(context.Background(), tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Up error = %v, want it to contain %q", name, err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "state")); !os.IsNotExist(err) {
		t.Errorf("Up wrote state before failing: %v", err)
	}
}
