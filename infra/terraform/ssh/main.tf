# Existing servers reached over SSH, each configured by the shared host module.
module "host" {
  source = "../modules/host"
  count  = length(var.servers)

  name               = var.servers[count.index].name
  address            = var.servers[count.index].address
  port               = var.servers[count.index].port
  user               = var.servers[count.index].user
  private_key_path   = var.servers[count.index].private_key_path
  host_key           = var.servers[count.index].host_key
  private_addr       = var.servers[count.index].private_addr
  private_prefix_len = var.private_prefix_len
  install_packages   = var.install_packages
  image_archives     = var.image_archives
  agent_binary       = var.agent_binary
  agent_args         = var.agent_args
  agent_tls_ca       = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/ca.crt"
  agent_tls_cert     = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/${var.servers[count.index].name}.crt"
  agent_tls_key      = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/${var.servers[count.index].name}.key"
  agent_port         = var.agent_port
}
