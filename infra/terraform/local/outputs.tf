output "backend" {
  description = "Which root module made this testbed."
  value       = "local"
}

output "accel" {
  description = "QEMU accelerator the VMs run with (kvm or tcg)."
  value       = local.accel
}

output "image_dir" {
  description = "Cached guest image directory used by the VMs."
  value       = local.image_dir
}

output "known_hosts" {
  description = "OpenSSH known_hosts file with every VM's recorded host key."
  value       = "${local.key_dir}/known_hosts"
}

output "hosts" {
  description = "Configured hosts: SSH endpoint, key, recorded host key, private address, podman socket, facts file (same shape for every backend)."
  value       = [for h in module.host : h.host]
}
