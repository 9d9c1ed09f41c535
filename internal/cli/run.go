package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/migrlab/migrlab/internal/buildinfo"
	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/reports"
	"github.com/urfave/cli/v2"
)

// RunCommand is `migrlab run`: migrate real containers on a testbed with the
// scenario's techniques and write one record (backend real) per migration.
func RunCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "migrate real containers on a testbed with each technique of a scenario",
		Description: "Starts the migrlab workload (memory.size, workload.dirty_rate, wws, hot split of the\n" +
			"scenario) on the source host, migrates it to the target with each technique (cold, precopy,\n" +
			"migrror; post-copy is not supported on Podman) through the hosts' agents, measures the\n" +
			"client-side downtime with a probe, checks that the workload continued (same process,\n" +
			"counters continued, memory verified), and writes one record per migration (backend real)\n" +
			"as JSON Lines to --out (default stdout). Progress and a summary table go to stderr.\n" +
			"The testbed must have been brought up with the migrlab agent and the workload image\n" +
			"(migrlab testbed up --agent-binary ... --image-archive ...). A scenario's network (bandwidth,\n" +
			"latency, jitter, loss, bandwidth_trace) is enforced on the hosts' private link with traffic\n" +
			"control for each migration and removed after it; without one the native link is used.",
		Flags: append(append([]cli.Flag{}, scenarioFlags...), formatFlag,
			&cli.StringFlag{Name: "testbed", Required: true, Usage: "testbed `NAME` (see migrlab testbed up)"},
			&cli.StringFlag{Name: "state-dir", Usage: "testbed state root (default $MIGRLAB_STATE_DIR, $XDG_STATE_HOME/migrlab or ~/.local/state/migrlab)", EnvVars: []string{"MIGRLAB_STATE_DIR"}},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "-", Usage: "write records as JSON Lines to `FILE` (- for stdout)"},
			&cli.StringFlag{Name: "source", Usage: "source `HOST` (default: the testbed's first host)"},
			&cli.StringFlag{Name: "target", Usage: "target `HOST` (default: the testbed's second host)"},
			&cli.StringFlag{Name: "image", Usage: "workload `IMAGE` (default " + "localhost/migrlab-workload:latest" + ")"},
			&cli.IntFlag{Name: "host-port", Value: real.DefaultHostPort, Usage: "host `PORT` the first container's probe port is published on"},
			&cli.DurationFlag{Name: "warmup", Value: real.DefaultWarmup, Usage: "how long the workload runs before the migration starts"},
			&cli.DurationFlag{Name: "step-timeout", Value: real.DefaultStepTimeout, Usage: "timeout of every agent operation"},
			&cli.BoolFlag{Name: "keep", Usage: "leave the migrated containers running on the target"},
			&cli.StringFlag{Name: "inject", Usage: "inject `FAULT@PHASE` into each migration (faults: " + faultKinds() +
				"; phases: round, final-dump, final-transfer, restore); the record's fault field says what happened; see docs/faults.md"},
			&cli.IntFlag{Name: "retries", Value: 1, Usage: "with --inject: run a migration that failed and was rolled back again up to `N` times"},
			&cli.StringFlag{Name: "calibration", Usage: "calibration `FILE` of the testbed: a scenario's network is checked against its measured link (default: a 4 MiB probe before each shaped migration)"},
			forceLinkFlag,
			forceFlag,
		),
		Action: runReal,
	}
}

func runReal(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return usagef("run: unexpected arguments %q: give the scenario file with -s FILE", c.Args().Slice())
	}
	s, err := loadScenario(c)
	if err != nil {
		return err
	}
	if err := checkRealTime(c, []models.Scenario{s}); err != nil {
		return err
	}
	format, err := reports.ParseFormat(c.String("format"))
	if err != nil {
		return UsageError{err}
	}
	for _, t := range s.Techniques {
		if tn, _ := models.NewTechnique(t, s); tn != nil && tn.Name() == models.PostCopy {
			return usagef("techniques: post-copy is not supported on Podman hosts (CRIU restores whole images); use the simulator, or cold, precopy, migrror")
		}
	}
	var fault *real.Fault
	if spec := c.String("inject"); spec != "" {
		f, err := real.ParseFault(spec)
		if err != nil {
			return UsageError{err}
		}
		fault = &f
	}
	var capacity models.Rate
	if path := c.String("calibration"); path != "" {
		calib, err := readCalibrationFile(path)
		if err != nil {
			return UsageError{err}
		}
		capacity = calib.Capacity()
	}
	stderr := c.App.ErrWriter
	ctx := c.Context
	tb, err := openTestbed(ctx, c)
	if err != nil {
		return err
	}
	defer tb.Close()
	if _, err := recoverTestbed(ctx, c, tb.Testbed); err != nil {
		return fmt.Errorf("%w; run `migrlab recover --testbed %s` once the hosts are fixed", err, tb.Name)
	}
	interrupt := interruptSelf
	if fault != nil && fault.Kind == real.FaultKill {
		interrupt = killSelf
	}
	sink, err := newRecordSink(c.String("out"), c.App.Writer, buildinfo.Provenance(), true)
	if err != nil {
		return err
	}
	defer sink.close()
	opt := real.Options{
		Source: c.String("source"), Target: c.String("target"), Image: c.String("image"),
		HostPort: c.Int("host-port"), Warmup: c.Duration("warmup"), StepTimeout: c.Duration("step-timeout"),
		Keep: c.Bool("keep"), Progress: stderr, Provenance: buildinfo.Provenance(),
		Inject: fault, Retries: c.Int("retries"), Interrupt: interrupt,
		LinkCapacity: capacity, ForceLink: c.Bool("force-link"),
	}
	fmt.Fprintf(stderr, "testbed %s (accel %s): %d hosts; scenario %s: %s x %d\n",
		tb.Name, tb.Accel, len(tb.Hosts), s.Name, s.Techniques, s.Repetitions)
	var failed []error
	for rep := 0; rep < s.Repetitions; rep++ {
		for _, t := range s.Techniques {
			fmt.Fprintf(stderr, "== %s, repetition %d\n", t, rep)
			out, err := real.Run(ctx, tb.Testbed, s, t, rep, opt)
			if out != nil {
				sink.prov = out.Record.Provenance
				if werr := sink.write(out.Record); werr != nil {
					return werr
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("%w: %v", errInterrupted, err)
				}
				fmt.Fprintf(stderr, "%s, repetition %d FAILED: %v\n", t, rep, err)
				failed = append(failed, fmt.Errorf("%s rep %d: %w", t, rep, err))
				continue
			}
			if f := out.Record.Fault; f != nil {
				fmt.Fprintf(stderr, "fault %s: injected %v, outcome %s, verified %v, cleaned %v, retried %v\n",
					f.Spec, f.Injected, f.Outcome, f.Verified, f.Cleaned, f.Retried)
			}
			m := out.Record.Metrics
			fmt.Fprintf(stderr, "%s: downtime %.2fs (client-side %.2fs), %d live rounds, %.1f MiB sent, stop: %s\n",
				t, m.DowntimeS, m.ProbeDowntimeS, m.LiveRounds, float64(m.BytesSent)/(1<<20), m.StopReason)
		}
	}
	if err := sink.close(); err != nil {
		return err
	}
	if err := reports.Render(stderr, format, reports.Summarize(sink.recs)); err != nil {
		return err
	}
	return errors.Join(failed...)
}

// interruptSelf is the sigint fault's action: the process sends itself
// SIGINT, which takes the same path as a user's Ctrl-C.
func interruptSelf() { syscall.Kill(os.Getpid(), syscall.SIGINT) }

// killSelf is the kill fault's action: SIGKILL, nothing runs afterwards;
// the journal lets `migrlab recover` (or the next run) repair the testbed.
func killSelf() { syscall.Kill(os.Getpid(), syscall.SIGKILL) }

func faultKinds() string {
	s := make([]string, len(real.FaultKinds))
	for i, k := range real.FaultKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
