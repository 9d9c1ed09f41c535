package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/migrlab/migrlab/real"
	"github.com/urfave/cli/v2"
)

// RecoverCommand is `migrlab recover`: repair the migrations a killed
// orchestrator left half-done on a testbed.
func RecoverCommand() *cli.Command {
	return &cli.Command{
		Name:  "recover",
		Usage: "finish or roll back migrations that a killed migrlab left half-done on a testbed",
		Description: "`migrlab run` journals every migration in the testbed's state directory until it ends\n" +
			"consistently. If the orchestrator is killed mid-migration (SIGKILL, a crash, a lost\n" +
			"machine), its containers may be frozen, checkpointed or half-restored. recover reads the\n" +
			"journal: a container already running on the target is finished there once its memory\n" +
			"verifies (then the source copy and the checkpoint data are removed); any other is rolled\n" +
			"back to run on the source once the target confirmed it holds no copy. Each is then\n" +
			"checked to answer with intact memory. Migrations the journal does not hold (the\n" +
			"operator's machine or the state directory was lost) are found in the records the source\n" +
			"and target agents keep, and recovered the same way. `migrlab run` does this by itself first.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "testbed", Required: true, Usage: "testbed `NAME`"},
			&cli.StringFlag{Name: "state-dir", Usage: "testbed state root (default $MIGRLAB_STATE_DIR, $XDG_STATE_HOME/migrlab or ~/.local/state/migrlab)", EnvVars: []string{"MIGRLAB_STATE_DIR"}},
		},
		Action: func(c *cli.Context) error {
			tb, err := openTestbed(c.Context, c)
			if err != nil {
				return err
			}
			defer tb.Close()
			n, err := recoverTestbed(c.Context, c, tb.Testbed)
			if err == nil && n == 0 {
				fmt.Fprintf(c.App.ErrWriter, "testbed %s: no interrupted migration to recover\n", tb.Name)
			}
			return err
		},
	}
}

// recoverTestbed recovers tb's interrupted migrations, printing what it did.
func recoverTestbed(ctx context.Context, c *cli.Context, tb *real.Testbed) (int, error) {
	w := c.App.ErrWriter
	logf := func(format string, a ...any) { fmt.Fprintf(w, "recover: "+format+"\n", a...) }
	rs, err := real.Recover(ctx, tb, logf)
	if serr := real.ClearShaping(ctx, tb, logf); serr != nil {
		err = errors.Join(err, serr)
	}
	for _, r := range rs {
		fmt.Fprintf(w, "recovered %s: %s, running on %s, memory verified %v\n", r.Name, r.Action, r.Host, r.Verified)
	}
	if err != nil {
		return len(rs), fmt.Errorf("recover on testbed %s: %w", tb.Name, err)
	}
	return len(rs), nil
}
