output "host" {
  description = "How to reach the configured host; facts_path is a JSON file on the host (kernel, podman, criu, runtime versions, thp) written by the preflight."
  value = {
    name             = var.name
    ssh_addr         = var.address
    ssh_port         = var.port
    ssh_user         = var.user
    private_key_path = var.private_key_path
    host_key         = local.host_key
    private_addr     = var.private_addr
    podman_socket    = "/run/podman/podman.sock"
    facts_path       = "/etc/migrlab/facts.json"
    agent_port       = var.agent_port
    preflight_id     = terraform_data.preflight.id
  }
}
