output "backend" {
  description = "Which root module made this testbed."
  value       = "ssh"
}

output "accel" {
  description = "Not a VM testbed."
  value       = "none"
}

output "hosts" {
  description = "Configured hosts (same shape for every backend)."
  value       = [for h in module.host : h.host]
}
