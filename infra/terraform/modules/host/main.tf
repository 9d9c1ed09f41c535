# Configures one Linux host over SSH for container live migration with
# podman + runc + CRIU, using only built-in provisioners.
#
# Order: configure (packages, runc, podman.socket, THP, private link)
#        -> images (podman load) -> agent (optional) -> preflight (criu checks, facts).

locals {
  # "type base64" only: drop a trailing comment of the host key line.
  host_key = join(" ", slice(split(" ", trimspace(var.host_key)), 0, 2))
  sudo     = var.user == "root" ? "" : "sudo -n "
  # A staging directory private to the SSH user: made 0700 if absent, and
  # refused when it exists but is not a directory of that user (another
  # local user could have made it to plant files the provisioners run as
  # root). /var/tmp's sticky bit keeps others from replacing it afterwards.
  remote  = "/var/tmp/migrlab-${var.user}"
  stage   = "d=/var/tmp/migrlab-${var.user}; if [ -L \"$d\" ] || { [ -e \"$d\" ] && { [ ! -d \"$d\" ] || [ \"$(stat -c %u \"$d\")\" != \"$(id -u)\" ]; }; }; then echo \"migrlab[${var.name}]: $d exists and is not a directory of $(id -un): remove it\" >&2; exit 1; fi; mkdir -p -m 0700 \"$d\" && chmod 0700 \"$d\""
  tls     = var.agent_tls_cert != ""
  tls_dir = "/etc/migrlab/tls"
  unit = templatefile("${path.module}/scripts/migrlab-agent.service.tftpl", {
    args = join(" ", concat(var.agent_args, local.tls ? ["--tls-dir", local.tls_dir] : []))
  })
}

resource "terraform_data" "configure" {
  triggers_replace = [
    var.replace_trigger,
    var.address,
    var.port,
    var.private_addr,
    var.private_prefix_len,
    var.private_mac,
    var.thp,
    filesha256("${path.module}/scripts/configure.sh"),
  ]

  connection {
    type        = "ssh"
    host        = var.address
    port        = var.port
    user        = var.user
    private_key = file(var.private_key_path)
    host_key    = local.host_key
    timeout     = var.connect_timeout
  }

  provisioner "remote-exec" {
    inline = [local.stage]
  }

  provisioner "file" {
    source      = "${path.module}/scripts/configure.sh"
    destination = "${local.remote}/configure.sh"
  }

  provisioner "remote-exec" {
    inline = [
      "sh ${local.remote}/configure.sh '${var.name}' '${var.private_addr}/${var.private_prefix_len}' '${var.private_mac}' '${var.thp}' '${var.install_packages}'",
    ]
  }
}

resource "terraform_data" "image" {
  for_each = toset(var.image_archives)

  triggers_replace = [terraform_data.configure.id, filesha256(each.value)]

  connection {
    type        = "ssh"
    host        = var.address
    port        = var.port
    user        = var.user
    private_key = file(var.private_key_path)
    host_key    = local.host_key
    timeout     = var.connect_timeout
  }

  provisioner "remote-exec" {
    inline = [local.stage]
  }

  provisioner "file" {
    source      = each.value
    destination = "${local.remote}/image-${substr(filesha256(each.value), 0, 16)}.tar"
  }

  provisioner "remote-exec" {
    inline = [
      "set -e",
      "echo 'migrlab[${var.name}]: podman load ${basename(each.value)}'",
      "${local.sudo}podman load -q -i ${local.remote}/image-${substr(filesha256(each.value), 0, 16)}.tar",
      "rm -f ${local.remote}/image-${substr(filesha256(each.value), 0, 16)}.tar",
    ]
  }
}

# The agent's mutual-TLS files: the testbed CA, this host's certificate and
# key, in /etc/migrlab/tls (0700, key 0600, root).
resource "terraform_data" "agent_tls" {
  count = var.agent_binary != "" && local.tls ? 1 : 0

  triggers_replace = [
    terraform_data.configure.id,
    filesha256(var.agent_tls_ca),
    filesha256(var.agent_tls_cert),
    filesha256(var.agent_tls_key),
  ]

  connection {
    type        = "ssh"
    host        = var.address
    port        = var.port
    user        = var.user
    private_key = file(var.private_key_path)
    host_key    = local.host_key
    timeout     = var.connect_timeout
  }

  provisioner "remote-exec" {
    inline = [local.stage, "umask 077 && mkdir -p ${local.remote}/tls && chmod 0700 ${local.remote}/tls"]
  }

  provisioner "file" {
    source      = var.agent_tls_ca
    destination = "${local.remote}/tls/ca.crt"
  }

  provisioner "file" {
    source      = var.agent_tls_cert
    destination = "${local.remote}/tls/agent.crt"
  }

  provisioner "file" {
    source      = var.agent_tls_key
    destination = "${local.remote}/tls/agent.key"
  }

  provisioner "remote-exec" {
    inline = [
      "set -e",
      "${local.sudo}install -d -m 0700 -o root -g root ${local.tls_dir}",
      "${local.sudo}install -m 0644 -o root -g root ${local.remote}/tls/ca.crt ${local.tls_dir}/ca.crt",
      "${local.sudo}install -m 0644 -o root -g root ${local.remote}/tls/agent.crt ${local.tls_dir}/agent.crt",
      "${local.sudo}install -m 0600 -o root -g root ${local.remote}/tls/agent.key ${local.tls_dir}/agent.key",
      "rm -rf ${local.remote}/tls",
      "echo 'migrlab[${var.name}]: agent certificates installed in ${local.tls_dir}'",
    ]
  }
}

resource "terraform_data" "agent" {
  count = var.agent_binary == "" ? 0 : 1

  triggers_replace = [
    terraform_data.configure.id,
    filesha256(var.agent_binary),
    local.unit,
    [for t in terraform_data.agent_tls : t.id],
  ]

  lifecycle {
    precondition {
      condition     = local.tls || contains(var.agent_args, "--insecure-no-tls")
      error_message = "The agent needs agent_tls_ca, agent_tls_cert and agent_tls_key (migrlab testbed up makes them), or --insecure-no-tls in agent_args (local debugging only)."
    }
  }

  connection {
    type        = "ssh"
    host        = var.address
    port        = var.port
    user        = var.user
    private_key = file(var.private_key_path)
    host_key    = local.host_key
    timeout     = var.connect_timeout
  }

  provisioner "remote-exec" {
    inline = [local.stage]
  }

  provisioner "file" {
    source      = var.agent_binary
    destination = "${local.remote}/migrlab.new"
  }

  provisioner "file" {
    content     = local.unit
    destination = "${local.remote}/migrlab-agent.service"
  }

  provisioner "remote-exec" {
    inline = [
      "set -e",
      "${local.sudo}install -m 0755 ${local.remote}/migrlab.new /usr/local/bin/migrlab",
      "${local.sudo}install -m 0644 ${local.remote}/migrlab-agent.service /etc/systemd/system/migrlab-agent.service",
      "${local.sudo}systemctl daemon-reload",
      "${local.sudo}systemctl enable migrlab-agent.service",
      "${local.sudo}systemctl restart migrlab-agent.service",
      "echo 'migrlab[${var.name}]: agent installed'",
    ]
  }
}

resource "terraform_data" "preflight" {
  triggers_replace = [
    terraform_data.configure.id,
    filesha256("${path.module}/scripts/preflight.sh"),
    [for k, v in terraform_data.image : v.id],
    [for a in terraform_data.agent : a.id],
  ]

  connection {
    type        = "ssh"
    host        = var.address
    port        = var.port
    user        = var.user
    private_key = file(var.private_key_path)
    host_key    = local.host_key
    timeout     = var.connect_timeout
  }

  provisioner "remote-exec" {
    inline = [local.stage]
  }

  provisioner "file" {
    source      = "${path.module}/scripts/preflight.sh"
    destination = "${local.remote}/preflight.sh"
  }

  provisioner "remote-exec" {
    inline = ["sh ${local.remote}/preflight.sh '${var.name}' '${var.thp}'"]
  }
}
