// Package infra provisions real Podman testbeds with Terraform, driven from Go
// through terraform-exec.
//
// The same host-configuration module (terraform/modules/host) is applied to
// local QEMU VMs (backend local), existing servers over SSH (backend ssh) and
// cloud instances (backend aws). The modules are embedded in the binary and
// written to the testbed's state directory on Up, so a built migrlab works
// anywhere Terraform (or OpenTofu) is installed.
//
// A testbed lives in StateRoot()/testbeds/NAME: the module copy and the
// Terraform state (tf/), SSH keys and known_hosts (keys/), VM runtime files
// (run/), and hosts.json, the last result of Up (the testbed contract that
// package testbed defines and package real reads). Down works from that directory
// alone, also after a crash.
package infra
