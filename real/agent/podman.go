package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	nettypes "github.com/containers/common/libnetwork/types"
	"github.com/containers/podman/v4/libpod/define"
	"github.com/containers/podman/v4/pkg/bindings"
	"github.com/containers/podman/v4/pkg/bindings/containers"
	"github.com/containers/podman/v4/pkg/bindings/system"
	"github.com/containers/podman/v4/pkg/bindings/volumes"
	"github.com/containers/podman/v4/pkg/errorhandling"
	"github.com/containers/podman/v4/pkg/specgen"
	spec "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/migrlab/migrlab/real/probe"
)

// engine is what the agent needs from the local container engine: podman,
// or a fake in tests.
type engine interface {
	version(ctx context.Context) (string, error)
	inspect(ctx context.Context, nameOrID string) (Container, bool, error)
	create(ctx context.Context, w WorkloadSpec) (Container, error)
	remove(ctx context.Context, nameOrID string) error
	removeVolume(ctx context.Context, name string) error
	checkpoint(ctx context.Context, id, file string, previous bool) error
	restoreImport(ctx context.Context, archive string) (*RestoreStats, error)
	restoreLocal(ctx context.Context, id string) error
	start(ctx context.Context, id string) error
	store(ctx context.Context) (storeInfo, error)
	image(ctx context.Context, name string) (ImageInfo, error)
	loadImage(ctx context.Context, r io.Reader) (LoadReport, error)
	pullImage(ctx context.Context, name string) (ImageInfo, error)
}

// storeInfo is where Podman keeps containers: a container's userdata is
// GraphRoot/Driver-containers/ID/userdata; RunRoot holds its run files.
type storeInfo struct {
	GraphRoot, Driver, RunRoot string
}

// userData returns the userdata directory container id has (or will have
// when restored) in this store.
func (st storeInfo) userData(id string) string {
	return filepath.Join(st.GraphRoot, st.Driver+"-containers", id, "userdata")
}

// podman is the agent's connection to the local Podman API. The bindings
// carry their connection in a context; podman keeps that context and joins
// it with each request's context (cancellation) in call.
type podman struct {
	uri  string
	mu   sync.Mutex
	conn context.Context
}

// connCtx takes its deadline and cancellation from the request and its
// values (the bindings' connection) from the connection's context too.
type connCtx struct {
	context.Context
	conn context.Context
}

func (c connCtx) Value(k any) any {
	if v := c.Context.Value(k); v != nil {
		return v
	}
	return c.conn.Value(k)
}

// ctx returns a context for a bindings call bounded by req, connecting to the
// Podman socket on first use (the socket may start after the agent).
func (p *podman) ctx(req context.Context) (context.Context, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := bindings.NewConnection(cctx, p.uri)
		if err != nil {
			return nil, fmt.Errorf("podman API at %s: %w", p.uri, err)
		}
		// NewConnection's context only bounded the ping; keep the values.
		p.conn = connCtx{Context: context.Background(), conn: conn}
	}
	return connCtx{Context: req, conn: p.conn}, nil
}

// notFound reports whether err is Podman's "no such container".
func notFound(err error) bool {
	var em *errorhandling.ErrorModel
	if errors.As(err, &em) {
		return em.ResponseCode == http.StatusNotFound
	}
	return errors.Is(err, define.ErrNoSuchCtr)
}

// inspect returns the container, or ok=false when it does not exist.
func (p *podman) inspect(ctx context.Context, nameOrID string) (c Container, ok bool, err error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return c, false, err
	}
	d, err := containers.Inspect(pc, nameOrID, nil)
	if err != nil {
		if notFound(err) {
			return c, false, nil
		}
		return c, false, fmt.Errorf("inspect %s: %w", nameOrID, err)
	}
	c = Container{ID: d.ID, Name: d.Name, UserData: d.StaticDir, ImageID: d.Image}
	if d.State != nil {
		c.State, c.Running, c.PID, c.Checkpointed = d.State.Status, d.State.Running, d.State.Pid, d.State.Checkpointed
	}
	c.Profile = sourceProfile(d)
	if d.HostConfig != nil {
		c.HostPort = udpHostPort(d.HostConfig.PortBindings)
	}
	return c, true, nil
}

// udpHostPort is the host port bound to the first (lowest) published UDP
// container port (0: none).
func udpHostPort(b map[string][]define.InspectHostPort) int {
	var keys []string
	for k, v := range b {
		if strings.HasSuffix(k, "/udp") && len(v) > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return 0
	}
	sort.Slice(keys, func(i, j int) bool {
		pi, _ := strconv.Atoi(strings.TrimSuffix(keys[i], "/udp"))
		pj, _ := strconv.Atoi(strings.TrimSuffix(keys[j], "/udp"))
		return pi < pj
	})
	for _, hp := range b[keys[0]] {
		if p, err := strconv.Atoi(hp.HostPort); err == nil && p > 0 {
			return p
		}
	}
	return 0
}

// sourceProfile is the security profile of an inspected container: its OCI
// spec (U/config.json, what Podman's checkpoint writes to spec.dump), its
// privileged flag and named volumes (what config.dump will hold). Nil when
// the spec cannot be read (a container never started has none).
func sourceProfile(d *define.InspectContainerData) *Profile {
	if d.StaticDir == "" {
		return nil
	}
	b, err := readSmall(filepath.Join(d.StaticDir, "config.json"), maxConfigBytes)
	if err != nil {
		return nil
	}
	p := &Profile{}
	if specProfile(p, b) != nil {
		return nil
	}
	if d.HostConfig != nil {
		p.Privileged = d.HostConfig.Privileged
	}
	var vols []string
	for _, m := range d.Mounts {
		if m.Type == "volume" {
			vols = append(vols, volumeRef(m.Name, m.Destination))
		}
	}
	p.Volumes = sorted(vols)
	return p
}

// create creates and starts a workload container.
func (p *podman) create(ctx context.Context, w WorkloadSpec) (Container, error) {
	if w.Name == "" {
		return Container{}, errors.New("workload: name is required")
	}
	if w.HostPort < 1 || w.HostPort > 65535 {
		return Container{}, fmt.Errorf("workload: host_port must be in 1..65535, got %d", w.HostPort)
	}
	if w.Image == "" {
		w.Image = DefaultImage
	}
	if w.ContainerPort == 0 {
		w.ContainerPort = probe.DefaultPort
	}
	pc, err := p.ctx(ctx)
	if err != nil {
		return Container{}, err
	}
	s := specgen.NewSpecGenerator(w.Image, false)
	s.Name = w.Name
	s.Command = w.Args
	// Go >= 1.24 listens with MPTCP where the kernel has it, and CRIU 3.17
	// cannot dump MPTCP sockets ("inet: Unsupported proto 262").
	s.Env = map[string]string{"GODEBUG": "multipathtcp=0"}
	for k, v := range w.Env {
		s.Env[k] = v
	}
	s.PortMappings = []nettypes.PortMapping{{
		ContainerPort: uint16(w.ContainerPort), HostPort: uint16(w.HostPort), Protocol: "tcp,udp",
	}}
	// runc fails setting rlimits it inherits unbounded on some hosts (docs/real.md, "Host facts the backend relies on").
	s.Rlimits = []spec.POSIXRlimit{{Type: "nofile", Hard: 1024, Soft: 1024}, {Type: "nproc", Hard: 1024, Soft: 1024}}
	r, err := containers.CreateWithSpec(pc, s, nil)
	if err != nil {
		return Container{}, fmt.Errorf("create %s from %s: %w", w.Name, w.Image, err)
	}
	if err := containers.Start(pc, r.ID, nil); err != nil {
		p.remove(context.WithoutCancel(ctx), r.ID)
		return Container{}, fmt.Errorf("start %s: %w", w.Name, err)
	}
	c, ok, err := p.inspect(ctx, r.ID)
	switch {
	case err != nil:
		return c, err
	case !ok || !c.Running:
		p.remove(context.WithoutCancel(ctx), r.ID)
		return c, fmt.Errorf("container %s is not running after start (state %q)", w.Name, c.State)
	}
	return c, nil
}

// remove removes a container, running or not, with its storage.
func (p *podman) remove(ctx context.Context, nameOrID string) error {
	pc, err := p.ctx(ctx)
	if err != nil {
		return err
	}
	_, err = containers.Remove(pc, nameOrID, new(containers.RemoveOptions).WithForce(true).WithVolumes(true).WithTimeout(5))
	if err != nil && !notFound(err) {
		return fmt.Errorf("remove %s: %w", nameOrID, err)
	}
	return nil
}

// checkpoint runs podman's final checkpoint of id, exported to file. With
// previous it chains to U/pre-checkpoint. The checkpoint is kept (Keep) so
// that a rollback can restore on this host and stats-dump can be read.
func (p *podman) checkpoint(ctx context.Context, id, file string, previous bool) error {
	pc, err := p.ctx(ctx)
	if err != nil {
		return err
	}
	opts := new(containers.CheckpointOptions).WithExport(file).WithKeep(true).WithWithPrevious(previous)
	if _, err := containers.Checkpoint(pc, id, opts); err != nil {
		return fmt.Errorf("podman checkpoint: %w", err)
	}
	return nil
}

// restoreImport restores a container from an exported checkpoint archive.
// The container gets a new IP address and MAC on this host's network: the
// source's may be taken here.
func (p *podman) restoreImport(ctx context.Context, archive string) (*RestoreStats, error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return nil, err
	}
	opts := new(containers.RestoreOptions).WithImportArchive(archive).WithPrintStats(true).
		WithIgnoreStaticIP(true).WithIgnoreStaticMAC(true)
	r, err := containers.Restore(pc, "", opts)
	if err != nil {
		return nil, fmt.Errorf("podman restore --import: %w", err)
	}
	return restoreStatsOf(r.CRIUStatistics), nil
}

// start starts a stopped container from its image (its memory state is
// not restored).
func (p *podman) start(ctx context.Context, id string) error {
	pc, err := p.ctx(ctx)
	if err != nil {
		return err
	}
	if err := containers.Start(pc, id, nil); err != nil {
		return fmt.Errorf("podman start: %w", err)
	}
	return nil
}

// restoreLocal restores a checkpointed container from its kept checkpoint.
func (p *podman) restoreLocal(ctx context.Context, id string) error {
	pc, err := p.ctx(ctx)
	if err != nil {
		return err
	}
	if _, err := containers.Restore(pc, id, nil); err != nil {
		return fmt.Errorf("podman restore: %w", err)
	}
	return nil
}

func restoreStatsOf(s *define.CRIUCheckpointRestoreStatistics) *RestoreStats {
	if s == nil {
		return nil
	}
	return &RestoreStats{PagesCompared: s.PagesCompared, PagesSkippedCOW: s.PagesSkippedCow,
		ForkingTime: usec(uint64(s.ForkingTime)), RestoreTime: usec(uint64(s.RestoreTime)),
		PagesRestored: s.PagesRestored}
}

// removeVolume removes a named volume (absent: no error).
func (p *podman) removeVolume(ctx context.Context, name string) error {
	pc, err := p.ctx(ctx)
	if err != nil {
		return err
	}
	if err := volumes.Remove(pc, name, new(volumes.RemoveOptions).WithForce(true)); err != nil && !notFound(err) {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// store returns where this host's Podman keeps containers.
func (p *podman) store(ctx context.Context) (storeInfo, error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return storeInfo{}, err
	}
	info, err := system.Info(pc, nil)
	if err != nil {
		return storeInfo{}, fmt.Errorf("podman info: %w", err)
	}
	if info.Store == nil || info.Store.GraphRoot == "" || info.Store.GraphDriverName == "" || info.Store.RunRoot == "" {
		return storeInfo{}, errors.New("podman info reports no storage graph root, driver or run root")
	}
	return storeInfo{GraphRoot: info.Store.GraphRoot, Driver: info.Store.GraphDriverName, RunRoot: info.Store.RunRoot}, nil
}

// version returns the Podman server version.
func (p *podman) version(ctx context.Context) (string, error) {
	pc, err := p.ctx(ctx)
	if err != nil {
		return "", err
	}
	v, err := system.Version(pc, nil)
	if err != nil {
		return "", err
	}
	if v.Server == nil {
		return "", errors.New("podman version: no server version")
	}
	return strings.TrimSpace(v.Server.Version), nil
}
