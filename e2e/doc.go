// Package e2e holds end-to-end tests (build tag e2e) that run on a real local
// testbed made by package infra: two QEMU VMs with podman, runc and CRIU.
// TestMain brings one testbed up for the whole package and tears it down
// afterwards; see README.md and scripts/e2e.sh.
package e2e
