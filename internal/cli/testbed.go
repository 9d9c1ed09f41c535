package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/migrlab/migrlab/infra"
	"github.com/migrlab/migrlab/testbed"
	"github.com/olekukonko/tablewriter"
	"github.com/urfave/cli/v2"
)

// TestbedCommand is `migrlab testbed up|status|down|ssh`: real Podman hosts
// provisioned with Terraform (local QEMU VMs, existing servers, or AWS).
func TestbedCommand() *cli.Command {
	name := &cli.StringFlag{Name: "name", Value: "local", Usage: "testbed `NAME`"}
	stateDir := &cli.StringFlag{Name: "state-dir", Usage: "state root (default $MIGRLAB_STATE_DIR, $XDG_STATE_HOME/migrlab or ~/.local/state/migrlab)", EnvVars: []string{"MIGRLAB_STATE_DIR"}}
	asJSON := &cli.BoolFlag{Name: "json", Usage: "print the testbed as JSON instead of a table"}
	return &cli.Command{
		Name:  "testbed",
		Usage: "provision, inspect and remove real Podman testbeds (Terraform)",
		Subcommands: []*cli.Command{
			{
				Name:  "up",
				Usage: "create or update a testbed (idempotent) and print its hosts",
				Flags: []cli.Flag{name, stateDir, asJSON,
					&cli.StringFlag{Name: "backend", Value: "local", Usage: "local (QEMU VMs here), ssh (existing servers) or aws"},
					&cli.IntFlag{Name: "hosts", Value: 2, Usage: "number of VMs/instances (local, aws)"},
					&cli.StringFlag{Name: "accel", Value: "auto", Usage: "local VMs: auto, kvm or tcg"},
					&cli.IntFlag{Name: "memory", Value: 2560, Usage: "local VMs: memory in MiB"},
					&cli.IntFlag{Name: "cpus", Value: 2, Usage: "local VMs: vCPUs of each"},
					&cli.StringFlag{Name: "hosts-file", Usage: "ssh backend: JSON list of {name, address, port, user, private_key_path, host_key, private_addr}"},
					&cli.StringSliceFlag{Name: "image-archive", Usage: "image archive to podman-load on every host (repeatable)"},
					&cli.StringFlag{Name: "agent-binary", Usage: "migrlab binary to install and run as the agent on every host"},
					&cli.StringFlag{Name: "aws-region", Usage: "aws backend: region"},
					&cli.StringFlag{Name: "aws-operator-cidr", Usage: "aws backend: CIDR allowed to SSH"},
				},
				Action: testbedUp,
			},
			{
				Name:   "status",
				Usage:  "show a testbed's hosts and whether they answer",
				Flags:  []cli.Flag{name, stateDir, asJSON},
				Action: testbedStatus,
			},
			{
				Name:   "down",
				Usage:  "destroy a testbed and remove its files (works after a crash too)",
				Flags:  []cli.Flag{name, stateDir},
				Action: testbedDown,
			},
			{
				Name:      "ssh",
				Usage:     "open a shell on a host, or run a command there",
				ArgsUsage: "[HOST [COMMAND...]]",
				Flags:     []cli.Flag{name, stateDir},
				Action:    testbedSSH,
			},
		},
	}
}

func testbedUp(c *cli.Context) error {
	spec := infra.Spec{
		Name:          c.String("name"),
		Backend:       testbed.Backend(c.String("backend")),
		Hosts:         c.Int("hosts"),
		Accel:         infra.Accel(c.String("accel")),
		MemoryMiB:     c.Int("memory"),
		CPUs:          c.Int("cpus"),
		StateDir:      c.String("state-dir"),
		ImageArchives: c.StringSlice("image-archive"),
		AgentBinary:   c.String("agent-binary"),
		AWS:           infra.AWSOptions{Region: c.String("aws-region"), OperatorCIDR: c.String("aws-operator-cidr")},
		Progress:      c.App.ErrWriter,
	}
	if spec.Progress == nil {
		spec.Progress = os.Stderr
	}
	switch spec.Backend {
	case testbed.BackendLocal, testbed.BackendAWS:
	case testbed.BackendSSH:
		if c.String("hosts-file") == "" {
			return usagef("testbed up --backend ssh needs --hosts-file")
		}
		b, err := os.ReadFile(c.String("hosts-file"))
		if err != nil {
			return usagef("hosts file: %v", err)
		}
		if err := json.Unmarshal(b, &spec.Servers); err != nil {
			return usagef("hosts file %s: %v", c.String("hosts-file"), err)
		}
	default:
		return usagef("unknown --backend %q (want local, ssh or aws)", spec.Backend)
	}
	switch spec.Accel {
	case infra.AccelAuto, infra.AccelKVM, infra.AccelTCG:
	default:
		return usagef("unknown --accel %q (want auto, kvm or tcg)", spec.Accel)
	}
	if spec.Hosts < 2 && spec.Backend != testbed.BackendSSH {
		return usagef("--hosts must be at least 2")
	}
	tb, err := infra.Up(c.Context, spec)
	if err != nil {
		return interrupted(c.Context, err)
	}
	return printTestbed(c.App.Writer, tb, c.Bool("json"))
}

func testbedStatus(c *cli.Context) error {
	tb, err := infra.Status(c.Context, c.String("name"), infra.WithStateDir(c.String("state-dir")))
	if err != nil {
		return interrupted(c.Context, err)
	}
	return printTestbed(c.App.Writer, tb, c.Bool("json"))
}

func testbedDown(c *cli.Context) error {
	w := c.App.ErrWriter
	if w == nil {
		w = os.Stderr
	}
	// Down must finish its cleanup even when Ctrl-C interrupted the command.
	ctx := context.WithoutCancel(c.Context)
	return infra.Down(ctx, c.String("name"), infra.WithStateDir(c.String("state-dir")), infra.WithProgress(w))
}

func testbedSSH(c *cli.Context) error {
	tb, err := infra.Load(c.String("name"), infra.WithStateDir(c.String("state-dir")))
	if err != nil {
		return err
	}
	h := tb.Hosts[0]
	args := c.Args().Slice()
	if len(args) > 0 {
		found := false
		for i, x := range tb.Hosts {
			if x.Name == args[0] || strconv.Itoa(i+1) == args[0] {
				h, found = x, true
			}
		}
		if !found {
			return usagef("no host %q in testbed %s", args[0], tb.Name)
		}
		args = args[1:]
	}
	cmd := exec.CommandContext(c.Context, "ssh", sshArgs(tb, h, args)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, c.App.Writer, c.App.ErrWriter
	if cmd.Stdout == nil {
		cmd.Stdout = os.Stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return cli.Exit("", ee.ExitCode())
		}
		return err
	}
	return nil
}

// sshArgs builds the ssh command line: the testbed's key and known_hosts,
// strict host key checking, and the remote command if any.
func sshArgs(tb *testbed.Testbed, h testbed.Host, command []string) []string {
	args := []string{
		"-i", h.KeyPath, "-p", strconv.Itoa(h.SSHPort),
		"-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile=" + tb.KnownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes",
		// "--" ends ssh's options: neither the destination nor the
		// command can be taken for one.
		"--", h.SSHUser + "@" + h.SSHAddr,
	}
	return append(args, command...)
}

// printTestbed writes the testbed as a table of hosts or as JSON.
func printTestbed(w io.Writer, tb *testbed.Testbed, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(tb)
	}
	fmt.Fprintf(w, "testbed %s (%s, accel %s) in %s\n", tb.Name, tb.Backend, tb.Accel, tb.Dir)
	t := tablewriter.NewTable(w)
	t.Header("Host", "SSH", "Private", "Kernel", "Podman", "CRIU", "Runtime", "THP", "State")
	for _, h := range tb.Hosts {
		state := h.State
		if state == "" {
			state = "-"
		}
		if err := t.Append(h.Name, fmt.Sprintf("%s@%s:%d", h.SSHUser, h.SSHAddr, h.SSHPort), h.PrivateAddr,
			h.Facts.Kernel, h.Facts.Podman, h.Facts.CRIU, h.Facts.Runtime+" "+h.Facts.RuntimeVersion, h.Facts.THP, state); err != nil {
			return err
		}
	}
	return t.Render()
}

// interrupted marks errors caused by Ctrl-C/SIGTERM for the exit code.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %v", errInterrupted, err)
	}
	return err
}
