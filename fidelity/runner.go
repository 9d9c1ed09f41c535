package fidelity

import (
	"context"
	"time"

	"github.com/migrlab/migrlab/models"
	"github.com/migrlab/migrlab/real"
	"github.com/migrlab/migrlab/testbed"
)

// DefaultLinkBytes is the size of a calibration's bulk link transfer.
const DefaultLinkBytes = 16 << 20

// RealRunner migrates on a connected testbed with real.Run: the Runner and
// LinkProber of a calibration or comparison on real hosts.
type RealRunner struct {
	// Testbed is the connected testbed (real.Open).
	Testbed *real.Testbed
	// Options of every migration (source and target hosts, warm-up, step
	// timeout, progress, provenance).
	Options real.Options
	// LinkBytes is the size of the bulk link transfer (default DefaultLinkBytes).
	LinkBytes int64
}

// Run implements Runner.
func (r *RealRunner) Run(ctx context.Context, s models.Scenario, technique string, rep int) (models.Record, error) {
	out, err := real.Run(ctx, r.Testbed, s, technique, rep, r.Options)
	if out == nil {
		return models.Record{}, err
	}
	return out.Record, err
}

// Link implements LinkProber: round trips and one bulk transfer from the
// source agent to the target agent over the private link.
func (r *RealRunner) Link(ctx context.Context) (Link, error) {
	src, dst, err := r.hosts()
	if err != nil {
		return Link{}, err
	}
	timeout := r.Options.StepTimeout
	if timeout <= 0 {
		timeout = real.DefaultStepTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	bytes := r.LinkBytes
	if bytes <= 0 {
		bytes = DefaultLinkBytes
	}
	rep, err := real.MeasureLink(ctx, src, dst, 20, bytes)
	if err != nil {
		return Link{}, err
	}
	return Link{RTTs: rep.RTTs, Bytes: rep.Transfer.Bytes, Time: rep.Transfer.Time}, nil
}

// hosts returns the source and target hosts of the runner's migrations.
func (r *RealRunner) hosts() (src, dst *real.Host, err error) {
	sn, dn := r.Options.Source, r.Options.Target
	if sn == "" {
		sn = r.Testbed.Hosts[0].Name
	}
	if dn == "" {
		dn = r.Testbed.Hosts[1].Name
	}
	if src, err = r.Testbed.Host(sn); err != nil {
		return nil, nil, err
	}
	dst, err = r.Testbed.Host(dn)
	return src, dst, err
}

// CalibrateTestbed calibrates the testbed that r migrates on (Calibrate with
// r as runner and link prober) and fills in the testbed's name, the time and
// every host's facts from its hosts file.
func CalibrateTestbed(ctx context.Context, hosts *testbed.Testbed, r *RealRunner, opt CalibrateOptions) (*CalibrateResult, error) {
	res, err := Calibrate(ctx, r, r, opt)
	if res != nil {
		c := &res.Calibration
		c.Testbed = r.Testbed.Name
		c.Created = time.Now().UTC().Format(time.RFC3339)
		c.Hosts = map[string]map[string]string{}
		for _, h := range hosts.Hosts {
			c.Hosts[h.Name] = h.Facts.Map(hosts.Accel)
		}
	}
	return res, err
}
