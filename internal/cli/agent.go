package cli

import (
	"log/slog"
	"os"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/urfave/cli/v2"
)

func init() { extraCommands = append(extraCommands, AgentCommand()) }

// AgentCommand is `migrlab agent`: the per-host migration agent, run as the
// migrlab-agent systemd service on every testbed host.
func AgentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "run the per-host migration agent (on a testbed host, as root)",
		Description: "Serves the agent's HTTP API: the whole API on loopback addresses (the orchestrator\n" +
			"reaches it through an SSH tunnel), only the checkpoint-transfer endpoints on other\n" +
			"addresses (the private link to the other hosts). --listen private:7070 listens on the\n" +
			"address written in --private-addr-file by the host Terraform module.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "listen", Value: cli.NewStringSlice("127.0.0.1:7070", "private:7070"),
				Usage: "`ADDR:PORT` to listen on (repeatable); host \"private\" = the address in --private-addr-file (skipped if that file does not exist)"},
			&cli.StringFlag{Name: "podman", Value: "unix:///run/podman/podman.sock", Usage: "Podman API `URI`"},
			&cli.StringFlag{Name: "runc", Value: "runc", Usage: "runc `BINARY` (Podman's OCI runtime)"},
			&cli.StringFlag{Name: "runc-root", Value: "/run/runc", Usage: "runc state `DIR` Podman uses"},
			&cli.StringFlag{Name: "state-dir", Value: "/var/lib/migrlab/agent", Usage: "`DIR` for checkpoint archives (made 0700)"},
			&cli.StringFlag{Name: "private-addr-file", Value: "/etc/migrlab/private_addr", Usage: "`FILE` holding the private-link address"},
		},
		Action: func(c *cli.Context) error {
			if len(c.Args().Slice()) > 0 {
				return usagef("agent: unexpected arguments %q", c.Args().Slice())
			}
			log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
			s, err := agent.New(agent.Config{
				Listen:          c.StringSlice("listen"),
				PodmanURI:       c.String("podman"),
				Runc:            c.String("runc"),
				RuncRoot:        c.String("runc-root"),
				StateDir:        c.String("state-dir"),
				PrivateAddrFile: c.String("private-addr-file"),
				Version:         buildinfo.Version,
				Log:             log,
			})
			if err != nil {
				return err
			}
			log.Info("migrlab agent starting", "version", buildinfo.Version, "pid", os.Getpid())
			return s.Serve(c.Context)
		},
	}
}
