package models

// Keys of Metrics.Extra: measurements a backend adds beside the common
// metrics. The real backend writes them and calibration and the reports read
// them, so they are named once here.
const (
	// ExtraMembers is the number of containers of a group migration.
	ExtraMembers = "members"
	// ExtraMeanMemberDowntime is a group's mean downtime per member, seconds.
	ExtraMeanMemberDowntime = "mean_member_downtime_s"

	// ExtraFinalFreezing is CRIU's freezing time in the final dump, seconds.
	ExtraFinalFreezing = "final_freezing_s"
	// ExtraFinalThroughput is the final transfer's throughput, bytes/s.
	ExtraFinalThroughput = "final_throughput_bytes_per_s"
	// ExtraRestore is podman's whole restore on the target, seconds.
	ExtraRestore = "restore_s"
	// ExtraRestoreCRIU is CRIU's part of the restore (its statistics), seconds.
	ExtraRestoreCRIU = "restore_criu_s"
	// ExtraPagesRestored is the pages CRIU restored.
	ExtraPagesRestored = "restore_pages_restored"
	// ExtraDirtyScan is the median time of the agent's dirty-memory
	// measurements, seconds.
	ExtraDirtyScan = "dirty_scan_median_s"
	// ExtraDirtyPollInterval is the pause between two dirty-memory
	// measurements of a waiting technique, seconds.
	ExtraDirtyPollInterval = "dirty_poll_interval_s"

	// ExtraOrchestratorBusy and ExtraOrchestratorSteal are the fractions of
	// the orchestrator's CPU time that were busy and stolen (by the
	// hypervisor under it) from the migration's start to the resume. On a
	// local testbed the orchestrator runs the hosts' VMs: a high steal share
	// explains a migration slower in every phase.
	ExtraOrchestratorBusy  = "orchestrator_cpu_busy"
	ExtraOrchestratorSteal = "orchestrator_cpu_steal"
	// ExtraSourceBusy, ExtraSourceSteal, ExtraTargetBusy and
	// ExtraTargetSteal are the same shares of the source and the target
	// host's CPU (the guests' own, read by their agents), over the same
	// span. Other work in a guest shows as busy time beyond the migration's
	// own; a hypervisor that runs something else beside a guest (a cloud
	// VM's neighbours) as stolen time.
	ExtraSourceBusy  = "source_cpu_busy"
	ExtraSourceSteal = "source_cpu_steal"
	ExtraTargetBusy  = "target_cpu_busy"
	ExtraTargetSteal = "target_cpu_steal"
	// ExtraSourceOther and ExtraTargetOther are the fractions of a host's
	// CPU time busy outside the migration's own control groups (the
	// containers, podman's service, the agent): other work in the guest,
	// kernel threads and interrupts included. Absent where the host has no
	// cgroup v2 accounting of those groups.
	ExtraSourceOther = "source_cpu_other"
	ExtraTargetOther = "target_cpu_other"
	// ExtraSourcePace and ExtraTargetPace are the seconds each host took
	// for a fixed piece of CPU work (package real/pace) right before the
	// migration, one host after the other: how fast the guest ran code
	// then; ExtraSourcePaceAfter and ExtraTargetPaceAfter the same right
	// after a successful one. HostPace relates the phases' times to them
	// (MigrationPaces).
	ExtraSourcePace      = "source_pace_s"
	ExtraTargetPace      = "target_pace_s"
	ExtraSourcePaceAfter = "source_pace_after_s"
	ExtraTargetPaceAfter = "target_pace_after_s"

	// The link of a real migration. A shaped one (the scenario's network
	// enforced with traffic control) has the rate in bytes per second of
	// frames, the one-way delay and jitter in seconds and the loss as a
	// fraction; with a trace, the steps applied and the latest of them,
	// seconds after its time. Every real migration has the round trip
	// measured between the agents over the private link just before the
	// migration, in seconds, and the capacity the shaped rate was checked
	// against (the calibration's, or a probe's), bytes per second.
	ExtraLinkRate       = "link_rate_bytes_per_s"
	ExtraLinkDelay      = "link_delay_s"
	ExtraLinkJitter     = "link_jitter_s"
	ExtraLinkLoss       = "link_loss_fraction"
	ExtraLinkTraceSteps = "link_trace_steps"
	ExtraLinkTraceLag   = "link_trace_lag_s"
	ExtraLinkRTT        = "link_rtt_s"
	ExtraLinkCapacity   = "link_capacity_bytes_per_s"
)
