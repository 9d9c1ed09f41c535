# Configures one Linux host over SSH for container live migration with
# podman + runc + CRIU, using only built-in provisioners.
#
# Order: configure (packages, runc, podman.socket, THP, private link)
#        -> images (podman load) -> agent (optional) -> preflight (criu checks, facts).

locals {
  # "type base64" only: drop a trailing comment of the host key line.
  host_key = join(" ", slice(split(" ", trimspace(var.host_key)), 0, 2))
  sudo     = var.user == "root" ? "" : "sudo -n "
  remote   = "/var/tmp/migrlab"
  unit = templatefile("${path.module}/scripts/migrlab-agent.service.tftpl", {
    args = join(" ", var.agent_args)
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
    inline = ["mkdir -p ${local.remote}"]
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

resource "terraform_data" "agent" {
  count = var.agent_binary == "" ? 0 : 1

  triggers_replace = [terraform_data.configure.id, filesha256(var.agent_binary), local.unit]

  connection {
    type        = "ssh"
    host        = var.address
    port        = var.port
    user        = var.user
    private_key = file(var.private_key_path)
    host_key    = local.host_key
    timeout     = var.connect_timeout
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

  provisioner "file" {
    source      = "${path.module}/scripts/preflight.sh"
    destination = "${local.remote}/preflight.sh"
  }

  provisioner "remote-exec" {
    inline = ["sh ${local.remote}/preflight.sh '${var.name}' '${var.thp}'"]
  }
}
