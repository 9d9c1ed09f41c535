// Package agent is migrlab's per-host migration agent and its client.
//
// The agent runs on every testbed host (`migrlab agent`, a systemd service
// installed by the host Terraform module). It drives the local Podman through
// its API socket and runc directly for chained CRIU pre-dumps, measures the
// container's soft-dirty pages, sends checkpoint data straight to the peer
// agent over the private link, restores on the target, and probes workloads.
// The orchestrator (package real) only sends commands and collects results.
//
// # Listeners
//
// Every listener serves HTTPS with mutual TLS (Config.TLS): a caller must
// present a certificate of the testbed's CA (package testbed/mtls). A
// listener on a loopback address serves the whole API to the orchestrator's
// certificate; the orchestrator reaches it through an SSH tunnel, so the
// control API is never exposed on a network. A peer agent's (host)
// certificate, and any caller on another address (the host's private-link
// address), gets only the transfer endpoints that a peer agent pushes
// checkpoint data to, and only for a migration the orchestrator announced to
// this agent (POST /v1/incoming) with a random token that the sender must
// present (routes.go holds the route table; a test proves that a peer
// certificate reaches nothing else). Without TLS, Serve refuses to run
// unless Config.Insecure is set, and then serves only on 0600 unix sockets.
// Every listener bounds connections and time (Limits): headers, stalled
// bodies, idle connections, open connections.
//
// # Trust nothing a peer sends
//
// An announce tells the target what to expect (Incoming): the container's
// ID, name, image and security profile, the source host whose certificate
// alone may use the token, and caps on the uploads. One migration per
// container at a time (a second announce: 409); an announce expires after
// Limits.SessionTTL without activity; the restore closes the uploads. An
// upload is capped, checked entry by entry (tarcheck.go: no absolute or
// ".." names, no sparse, device or duplicate entries, nothing written
// through a link), checked against the sender's length and digest
// trailers, written under a temporary name, synced and renamed. The final
// archive is validated (archive.go, configdump.go) against the announce
// before Podman sees it; a restore that fails removes what it created.
//
// # Checkpoint layout (docs/real.md, "Host facts the backend relies on")
//
// Pre-dump round K of container ID is written by
// `runc checkpoint --pre-dump --image-path U/chain/rK --work-path U/chain/wK
// [--parent-path ../rK-1] ID`, U being the container's userdata directory,
// and copied to the same path U/chain/rK on the target. The final dump is
// podman's `checkpoint --with-previous --export` after `U/pre-checkpoint ->
// chain/rN`; the archive goes to the target with that symlink added and is
// restored there with podman's import. Checkpoint data is kept in 0600 files
// in 0700 directories and never logged.
package agent

import (
	"time"

	"github.com/migrlab/migrlab/real/probe"
)

// DefaultPort is the agent's TCP port.
const DefaultPort = 7070

// DefaultImage is the image of the migrlab workload.
const DefaultImage = "localhost/migrlab-workload:latest"

// TokenHeader carries a migration's token on transfer requests.
const TokenHeader = "X-Migrlab-Token"

// Trailers of a transfer request: the length and SHA-256 (hex) of the body
// as sent. The receiver checks them before it keeps anything.
const (
	LengthTrailer = "X-Migrlab-Length"
	DigestTrailer = "X-Migrlab-Sha256"
)

// Info describes the agent's host.
type Info struct {
	Hostname string `json:"hostname"`
	Kernel   string `json:"kernel"`
	// Podman is the server version of the local Podman API.
	Podman string `json:"podman"`
	CRIU   string `json:"criu"`
	Runc   string `json:"runc"`
	// THP is the transparent huge page mode in force.
	THP string `json:"thp"`
	// SoftDirty reports whether the kernel tracks soft-dirty bits.
	SoftDirty bool `json:"soft_dirty"`
	// Version is the agent's migrlab version.
	Version string `json:"version"`
	// Now is the agent's clock when it answered.
	Now time.Time `json:"now"`
}

// WorkloadSpec asks for a workload container.
type WorkloadSpec struct {
	// Name of the container (required).
	Name string `json:"name"`
	// Image (default DefaultImage).
	Image string `json:"image,omitempty"`
	// Args are the workload's arguments (see real/workload.ParseArgs), for
	// example --mem 64MiB --rate 4MiB/s; for an app, its command.
	Args []string `json:"args,omitempty"`
	// Env are environment variables of the container (an app's).
	Env map[string]string `json:"env,omitempty"`
	// ContainerPort is the workload's probe port inside the container
	// (default probe.DefaultPort); it must match the --port argument.
	ContainerPort int `json:"container_port,omitempty"`
	// HostPort publishes ContainerPort (UDP and TCP) on every host address,
	// so that a client reaches the workload at host:HostPort on whichever host
	// it runs; after a migration the restored container publishes it again.
	HostPort int `json:"host_port"`
}

// Container is what the agent reports about a container.
type Container struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	State string `json:"state"`
	// Running reports the container's process runs.
	Running bool `json:"running"`
	// Checkpointed reports that the container was checkpointed and not restored.
	Checkpointed bool `json:"checkpointed,omitempty"`
	// PID is the container's init process in the host's PID namespace.
	PID int `json:"pid,omitempty"`
	// HostPort is the host port its first published UDP port is bound to
	// (the workload's probe port; 0: none).
	HostPort int `json:"host_port,omitempty"`
	// UserData is the container's userdata directory in Podman's storage.
	UserData string `json:"userdata"`
	// ImageID is the ID of the container's image.
	ImageID string `json:"image_id"`
	// Profile is the container's security profile, read from its OCI spec
	// and Podman's configuration (nil when the agent could not read them,
	// for example before the container was first started): what a target
	// must be told (Incoming.Profile) to accept the container.
	Profile *Profile `json:"profile,omitempty"`
}

// RollbackReport is what a rollback left on the source: the container,
// running there again.
type RollbackReport struct {
	Container
	// StateLost reports that the container was started again from its image,
	// not restored: its memory state is lost (Cause says why).
	StateLost bool   `json:"state_lost,omitempty"`
	Cause     string `json:"cause,omitempty"`
}

// Dirty is a soft-dirty measurement of a container's memory.
type Dirty struct {
	// Pages is the number of resident pages dirtied since CRIU last cleared
	// the soft-dirty bits (or since the pages were mapped): what the next
	// pre-dump would write.
	Pages uint64 `json:"pages"`
	// Resident is the number of resident pages of the writable private mappings.
	Resident uint64 `json:"resident"`
	// PageSize is the host's page size.
	PageSize int `json:"page_size"`
	// Took is how long the scan took.
	Took time.Duration `json:"took_ns"`
}

// Bytes returns the dirty memory in bytes.
func (d Dirty) Bytes() int64 { return int64(d.Pages) * int64(d.PageSize) }

// Incoming announces a migration to its target agent: what the target must
// expect, so that it restores nothing else. Every field is required (an
// announce that lacks one is refused with 400 and the field's name).
type Incoming struct {
	// ID of the container that will arrive (64 hex digits).
	ID string `json:"id"`
	// Name of the container (it must not exist on the target).
	Name string `json:"name"`
	// Token the sending agent must present (>= 32 characters).
	Token string `json:"token"`
	// ImageID is the ID of the container's image (Container.ImageID on the
	// source); the archive's config.dump must name the same.
	ImageID string `json:"image_id"`
	// Profile is the source container's security profile
	// (Container.Profile from the source agent's inspect); the archive's
	// spec.dump and config.dump must give the same.
	Profile *Profile `json:"profile"`
	// Source is the name (certificate common name) of the source host's
	// agent certificate: the testbed host's name. Only that certificate may
	// send this migration's data. Ignored without TLS (--insecure-no-tls).
	Source string `json:"source"`
	// MaxRoundBytes caps each pre-dump round's upload and MaxArchiveBytes
	// the final archive's (the tar streams as sent); see UploadCaps. The
	// target refuses the announce when its disks have less room than the
	// caps need.
	MaxRoundBytes   int64 `json:"max_round_bytes"`
	MaxArchiveBytes int64 `json:"max_archive_bytes"`
	// Origin is who runs the migration, for the target's record of it
	// (optional; see Record).
	Origin *Origin `json:"origin,omitempty"`
}

// IncomingFor returns the announce of a migration of c, as the source
// agent's Inspect reported it just before (ID, name, image, Profile), from
// the host named source (its agent certificate's common name: the testbed
// host's name), with token and the UploadCaps of a container of memory
// bytes.
func IncomingFor(c Container, source, token string, memory int64) Incoming {
	round, archive := UploadCaps(memory)
	return Incoming{ID: c.ID, Name: c.Name, Token: token, ImageID: c.ImageID, Profile: c.Profile, Source: source,
		MaxRoundBytes: round, MaxArchiveBytes: archive}
}

// UploadCaps returns generous caps for the uploads of a migration of a
// container whose memory (resident, writable) is at most memory bytes: a
// round holds at most every page once plus CRIU's metadata; the archive
// also holds the root file-system diff, volumes and logs.
func UploadCaps(memory int64) (round, archive int64) {
	memory = max(memory, 0)
	return 2*memory + 64<<20, 2*memory + 256<<20
}

// Send tells a source agent where to send a migration's data.
type Send struct {
	// Target is the target agent's private-link address (host:port).
	Target string `json:"target"`
	// Token is the migration's token announced to the target.
	Token string `json:"token"`
	// Origin is who runs the migration, for the source's record of it
	// (optional; see Record).
	Origin *Origin `json:"origin,omitempty"`
}

// RoundRequest asks for pre-dump round Round (1, 2, ...) and its transfer.
type RoundRequest struct {
	Send
	Round int `json:"round"`
}

// Transfer is what sending one round or archive to the target did.
type Transfer struct {
	// Bytes is what went over the wire (a tar stream).
	Bytes int64 `json:"bytes"`
	// Files is the number of files sent.
	Files int `json:"files"`
	// Time is from the first byte sent to the target's acknowledgement.
	Time time.Duration `json:"time_ns"`
}

// Throughput returns Bytes per second of Time.
func (t Transfer) Throughput() float64 {
	if t.Time <= 0 {
		return 0
	}
	return float64(t.Bytes) / t.Time.Seconds()
}

// RoundReport is what a pre-dump round and its transfer did, measured on the
// source agent's clock.
type RoundReport struct {
	Round int `json:"round"`
	// Queued is the time from receiving the request to starting the dump.
	Queued time.Duration `json:"queued_ns"`
	// DumpTime is the wall time of runc's pre-dump.
	DumpTime time.Duration `json:"dump_ns"`
	// Stats are CRIU's statistics of the pre-dump.
	Stats DumpStats `json:"stats"`
	// PagesBytes is the size of the round's pages-*.img files.
	PagesBytes int64    `json:"pages_bytes"`
	Transfer   Transfer `json:"transfer"`
}

// CheckpointRequest asks for the final dump: a podman checkpoint chained to
// pre-dump round Rounds (0: no pre-dump, a cold checkpoint) and its transfer.
type CheckpointRequest struct {
	Send
	Rounds int `json:"rounds"`
}

// CheckpointReport is what the final dump and its transfer did.
type CheckpointReport struct {
	// Queued is the time from receiving the request to calling podman.
	Queued time.Duration `json:"queued_ns"`
	// DumpTime is the wall time of podman's checkpoint (freeze, dump, export).
	DumpTime time.Duration `json:"dump_ns"`
	// Stats are CRIU's statistics of the final dump.
	Stats DumpStats `json:"stats"`
	// ArchiveBytes is the size of podman's export.
	ArchiveBytes int64    `json:"archive_bytes"`
	Transfer     Transfer `json:"transfer"`
}

// RestoreReport is what the restore on the target did.
type RestoreReport struct {
	// RestoreTime is the wall time of podman's restore.
	RestoreTime time.Duration `json:"restore_ns"`
	// Stats are CRIU's restore statistics (zero when podman kept none).
	Stats RestoreStats `json:"stats"`
	// Container is the restored container, confirmed running.
	Container Container `json:"container"`
}

// ProbeRequest starts a probe monitor on the agent.
type ProbeRequest struct {
	// Addrs to probe (host:port, UDP).
	Addrs []string `json:"addrs"`
	// Interval and Timeout of the monitor (zero: probe's defaults).
	Interval time.Duration `json:"interval_ns,omitempty"`
	Timeout  time.Duration `json:"timeout_ns,omitempty"`
	// Spec probes an application in its own terms (TCP, HTTP, a command)
	// instead of with the workload's UDP protocol (nil).
	Spec *probe.Spec `json:"spec,omitempty"`
}

// ProbeResult is what a probe monitor recorded.
type ProbeResult struct {
	Answers []probe.Answer    `json:"answers"`
	Stats   []probe.AddrStats `json:"stats"`
}

// errorBody is the JSON body of a failed request.
type errorBody struct {
	Error string `json:"error"`
}
