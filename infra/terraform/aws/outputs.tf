output "backend" {
  description = "Which root module made this testbed."
  value       = "aws"
}

output "accel" {
  description = "Not a local VM testbed."
  value       = "none"
}

output "hosts" {
  description = "Configured hosts (same shape for every backend)."
  value       = [for h in module.host : h.host]
}

output "security_group_id" {
  description = "Security group of the hosts."
  value       = aws_security_group.host.id
}
