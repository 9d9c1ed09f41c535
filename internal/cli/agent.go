package cli

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/real/agent"
	"github.com/migrlab/migrlab/testbed/mtls"
	"github.com/urfave/cli/v2"
)

// AgentCommand is `migrlab agent`: the per-host migration agent, run as the
// migrlab-agent systemd service on every testbed host.
func AgentCommand() *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "run the per-host migration agent (on a testbed host, as root)",
		Description: "Serves the agent's API over HTTPS with mutual TLS (--tls-dir: the testbed CA and this\n" +
			"host's certificate, installed in /etc/migrlab/tls by `migrlab testbed up`): every caller\n" +
			"must present a certificate of the testbed CA. On loopback addresses the orchestrator's\n" +
			"certificate gets the whole API (the orchestrator reaches it through an SSH tunnel); peer\n" +
			"agents' certificates, and every caller on other addresses (the private link to the other\n" +
			"hosts), get only the checkpoint-transfer endpoints. --listen private:7070 listens on the\n" +
			"address written in --private-addr-file by the host Terraform module. Without --tls-dir\n" +
			"the agent refuses to start unless --insecure-no-tls is given (local debugging only).",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "listen", Value: cli.NewStringSlice("127.0.0.1:7070", "private:7070"),
				Usage: "`ADDR:PORT` to listen on (repeatable); host \"private\" = the address in --private-addr-file (skipped if that file does not exist)"},
			&cli.StringFlag{Name: "podman", Value: "unix:///run/podman/podman.sock", Usage: "Podman API `URI`"},
			&cli.StringFlag{Name: "runc", Value: "runc", Usage: "runc `BINARY` (Podman's OCI runtime)"},
			&cli.StringFlag{Name: "runc-root", Value: "/run/runc", Usage: "runc state `DIR` Podman uses"},
			&cli.StringFlag{Name: "state-dir", Value: "/var/lib/migrlab/agent", Usage: "`DIR` for checkpoint archives (made 0700)"},
			&cli.StringFlag{Name: "private-addr-file", Value: "/etc/migrlab/private_addr", Usage: "`FILE` holding the private-link address"},
			&cli.StringFlag{Name: "tls-dir", Usage: "`DIR` with the testbed CA and this host's certificate: " +
				mtls.CAFile + ", " + mtls.CertFile + ", " + mtls.KeyFile + " (testbed up installs /etc/migrlab/tls)"},
			&cli.BoolFlag{Name: "insecure-no-tls", Usage: "serve plain HTTP without authentication (local debugging only, never on a testbed)"},
		},
		Action: func(c *cli.Context) error {
			if len(c.Args().Slice()) > 0 {
				return usagef("agent: unexpected arguments %q", c.Args().Slice())
			}
			log := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
			var id *mtls.Identity
			switch dir := c.String("tls-dir"); {
			case dir != "" && c.Bool("insecure-no-tls"):
				return usagef("agent: --tls-dir and --insecure-no-tls exclude each other")
			case dir != "":
				var err error
				if id, err = mtls.LoadDir(dir); err != nil {
					return fmt.Errorf("agent: TLS files in %s: %w (bring the testbed up again with this migrlab version "+
						"to install them, or run with --insecure-no-tls for local debugging only)", dir, err)
				}
			case !c.Bool("insecure-no-tls"):
				return agent.ErrNoTLS
			default:
				log.Warn("--insecure-no-tls: serving plain HTTP without authentication (local debugging only)")
			}
			listen := c.StringSlice("listen")
			if c.Bool("insecure-no-tls") && !c.IsSet("listen") {
				// Without TLS the agent serves a root-only unix socket, never TCP.
				listen = []string{"unix:" + agent.DefaultInsecureSocket}
			}
			s, err := agent.New(agent.Config{
				Listen:          listen,
				PodmanURI:       c.String("podman"),
				Runc:            c.String("runc"),
				RuncRoot:        c.String("runc-root"),
				StateDir:        c.String("state-dir"),
				PrivateAddrFile: c.String("private-addr-file"),
				Version:         buildinfo.Version,
				Log:             log,
				TLS:             id,
				Insecure:        c.Bool("insecure-no-tls"),
			})
			if err != nil {
				return err
			}
			log.Info("migrlab agent starting", "version", buildinfo.Version, "pid", os.Getpid())
			return s.Serve(c.Context)
		},
	}
}
