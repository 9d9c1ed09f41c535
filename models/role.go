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
)

// Unscored reports whether migrations of this role are never judged:
// calibration, warm-up and probe migrations.
func (r Role) Unscored() bool { return r == RoleCalibration || r == RoleWarmup || r == RoleProbe }
