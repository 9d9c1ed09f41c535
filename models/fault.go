package models

// FaultReport is what a fault injected into a real migration did (see
// `migrlab run --inject`): the faulted attempt's failure, the rollback and
// its verification, and whether the retry succeeded.
type FaultReport struct {
	// Spec is the fault as given: FAULT@PHASE.
	Spec string `json:"spec"`
	// Injected reports that the fault happened (its trigger was reached).
	Injected bool `json:"injected"`
	// Outcome of the faulted attempt: "rolled back" (the workload runs on the
	// source again), "restarted, state lost" (its process died with the
	// failed step, no checkpoint was left to restore: it was started again
	// from its image on the source), "completed" (the migration succeeded
	// despite the fault), "recovered" (an orchestrator killed
	// mid-migration, recovered from its journal), "rollback failed" (it may
	// run on neither host until `migrlab recover`).
	Outcome string `json:"outcome"`
	// StateLost reports that the workload runs again without the memory
	// state it had before the migration (Outcome "restarted, state lost").
	StateLost bool `json:"state_lost,omitempty"`
	// Error is the faulted attempt's error, in words a user can act on.
	Error string `json:"error,omitempty"`
	// Verified reports that, after the faulted attempt, exactly one copy
	// runs, its probe counter continued with the same nonce, and its memory
	// checksum matches; after a restart (StateLost), that exactly one copy
	// runs on the source and answers with memory that verifies.
	Verified bool `json:"verified"`
	// Check says what the verification found when it failed.
	Check string `json:"check,omitempty"`
	// Cleaned reports that no checkpoint data of the attempt is left on
	// either host.
	Cleaned bool `json:"cleaned"`
	// Retried reports that the same migration was run again afterwards;
	// RetryError is its error (empty: it succeeded).
	Retried    bool   `json:"retried"`
	RetryError string `json:"retry_error,omitempty"`
	// RollbackS is the time from the failure (the step's error reaching the
	// orchestrator) to the workload answering on the source again after the
	// rollback, in seconds.
	RollbackS float64 `json:"rollback_s,omitempty"`
}
