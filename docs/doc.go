// Package docs holds migrlab's user documentation: README.md at the
// repository root and the pages in this directory. It has no code of its
// own; its test keeps the documentation true:
//
//   - every sample output between <!-- sample: migrlab ... --> and
//     <!-- /sample --> is what that command prints now (the CLI runs
//     in-process, from a copy of examples/);
//   - every generated block between <!-- generated: NAME --> and
//     <!-- /generated --> (the command table, the exit codes, the scenario
//     field reference) is what the code says;
//   - every code excerpt after <!-- excerpt: PATH --> still matches PATH;
//   - every relative link points to an existing file (and heading).
//
// After an intended change, rewrite the blocks and review the diff:
//
//	go test -tags '...' ./docs/ -update
package docs
