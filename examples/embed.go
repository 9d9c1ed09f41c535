// Package examples holds the example scenarios and sweeps; the CLI embeds them
// so `migrlab sim` has a built-in scenario.
package examples

import "embed"

// FS holds every example file (*.yaml).
//
//go:embed *.yaml
var FS embed.FS

// Default is the built-in scenario of `migrlab sim` without --scenario.
const Default = "edge-1g.yaml"
