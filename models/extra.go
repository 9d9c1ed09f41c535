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
)
