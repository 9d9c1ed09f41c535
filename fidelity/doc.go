// Package fidelity is the bridge between migrlab's two worlds: it measures
// what the simulator needs to know about a real testbed, predicts real
// migrations with the calibrated simulator and the closed-form model, and
// scores the predictions. It is the only package that sees both the
// simulator (package sim) and the real backend (package real); both reach it
// as producers of models.Record, the real one through the narrow Runner and
// LinkProber interfaces so that everything but RealRunner is tested without
// a testbed.
//
// The experiment design lives here too: the calibration plan and its
// repetitions (Calibrate), the validation migrations measured between them
// (Interleaved), the comparison and its report directory (Report), a replay
// of recorded migrations (Replay), and the whole demo pipeline (Demo).
package fidelity
