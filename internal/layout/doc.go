// Package layout holds no code: its test is the single statement of which
// of migrlab's packages may import which (see TestDependencyRules).
package layout
