# A testbed on this machine: N QEMU VMs from one cached Debian 12 image, joined by a
# private L2 hub, each configured by the shared host module.

locals {
  work_dir  = var.work_dir != "" ? var.work_dir : abspath(path.root)
  key_dir   = "${local.work_dir}/keys"
  run_dir   = "${local.work_dir}/run"
  cache_dir = var.image_cache_dir != "" ? var.image_cache_dir : pathexpand("~/.cache/migrlab/images")
  scripts   = abspath("${path.module}/scripts")

  # The image is rebuilt only when its recipe changes.
  image_hash = substr(sha256(join("\n", [
    filesha256("${path.module}/scripts/image.sh"),
    filesha256("${path.module}/scripts/guest-setup.sh"),
    var.mirror,
  ])), 0, 16)
  image_dir = "${local.cache_dir}/${local.image_hash}"

  # A /dev/kvm backed by kvm_pvm cannot boot stock kernels: auto means tcg there.
  pvm       = length(fileset("/sys/module", "kvm_pvm/**")) > 0
  real_kvm  = length(fileset("/sys/module", "{kvm_intel,kvm_amd}/**")) > 0
  accel     = var.accel != "auto" ? var.accel : (local.real_kvm && !local.pvm ? "kvm" : "tcg")
  vm_names  = [for i in range(var.hosts) : "vm${i + 1}"]
  ssh_ports = [for i in range(var.hosts) : var.ssh_port_base + i + 1]
}

resource "terraform_data" "image" {
  triggers_replace = [local.image_hash, local.cache_dir]

  provisioner "local-exec" {
    command = "bash '${local.scripts}/image.sh' '${local.cache_dir}' '${local.image_hash}' '${var.mirror}'"
  }
}

resource "terraform_data" "link" {
  input = { script = "${local.scripts}/vm.sh", run_dir = local.run_dir }

  provisioner "local-exec" {
    command = "bash '${self.input.script}' link '${self.input.run_dir}'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "bash '${self.input.script}' unlink '${self.input.run_dir}'"
  }
}

resource "terraform_data" "vm" {
  count = var.hosts

  input = {
    script  = "${local.scripts}/vm.sh"
    run_dir = local.run_dir
    index   = count.index + 1
  }
  triggers_replace = [
    terraform_data.image.id,
    terraform_data.link.id,
    local.accel,
    var.memory_mib,
    var.cpus,
    local.ssh_ports[count.index],
    filesha256("${local.key_dir}/${local.vm_names[count.index]}-host-key.pub"),
    filesha256("${local.key_dir}/id_ed25519.pub"),
  ]

  provisioner "local-exec" {
    command = "bash '${self.input.script}' boot"
    environment = {
      RUN_DIR      = local.run_dir
      INDEX        = count.index + 1
      NAME         = var.name
      IMAGE_DIR    = local.image_dir
      KEY_DIR      = local.key_dir
      ACCEL        = local.accel
      MEMORY_MIB   = var.memory_mib
      CPUS         = var.cpus
      SSH_PORT     = local.ssh_ports[count.index]
      BOOT_TIMEOUT = var.boot_timeout
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "bash '${self.input.script}' stop '${self.input.run_dir}' '${self.input.index}'"
  }
}

module "host" {
  source = "../modules/host"
  count  = var.hosts

  name               = local.vm_names[count.index]
  address            = "127.0.0.1"
  port               = local.ssh_ports[count.index]
  user               = "root"
  private_key_path   = "${local.key_dir}/id_ed25519"
  host_key           = file("${local.key_dir}/${local.vm_names[count.index]}-host-key.pub")
  private_addr       = cidrhost(var.private_cidr, count.index + 1)
  private_prefix_len = tonumber(split("/", var.private_cidr)[1])
  private_mac        = format("52:54:00:10:10:%02x", count.index + 1)
  install_packages   = false
  image_archives     = var.image_archives
  agent_binary       = var.agent_binary
  agent_args         = var.agent_args
  agent_tls_ca       = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/ca.crt"
  agent_tls_cert     = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/${local.vm_names[count.index]}.crt"
  agent_tls_key      = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/${local.vm_names[count.index]}.key"
  agent_port         = var.agent_port
  replace_trigger    = terraform_data.vm[count.index].id
}
