package models

// Role is what a scenario's migrations were used for in a comparison
// (Record.Role; empty outside comparisons).
type Role string

// Roles.
const (
	// RoleCalibration: the migration was fitted by the calibration; shown,
	// never scored.
	RoleCalibration Role = "calibration"
	// RoleValidation: the migration was not used by the calibration; scored.
	RoleValidation Role = "validation"
	// RoleWarmup: a throwaway migration run before a calibration (a fresh
	// testbed's first operations are slower); shown, never fitted nor scored.
	RoleWarmup Role = "warmup"
	// RoleProbe: an app's probe migration (a short pre-copy of its own
	// container), from which its costs relative to the calibration's
	// synthetic workload are measured (Calibration.Apps); shown, never
	// fitted nor scored.
	RoleProbe Role = "probe"
	// RoleCheck: a calibration's check migration, run beside the plan and
	// never fitted: the calibration predicts it, and its error is the
	// model's own out-of-sample error (Calibration.ModelErrors); shown,
	// never scored.
	RoleCheck Role = "check"
)

// Auxiliary reports whether migrations of this role ran around a
// calibration for a purpose of their own (warm-up, probe, check): never
// fitted as the plan's migrations, never scored, and their role is kept
// when recorded migrations are replayed.
func (r Role) Auxiliary() bool { return r == RoleWarmup || r == RoleProbe || r == RoleCheck }

// Unscored reports whether migrations of this role are never judged:
// calibration, warm-up, probe and check migrations.
func (r Role) Unscored() bool {
	return r == RoleCalibration || r == RoleWarmup || r == RoleProbe || r == RoleCheck
}
