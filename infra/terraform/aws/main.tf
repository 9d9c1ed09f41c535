# EC2 instances in one VPC/subnet, configured by the shared host module.

locals {
  subnet_cidr = cidrsubnet(var.vpc_cidr, 8, 0)
  vm_names    = [for i in range(var.hosts) : "vm${i + 1}"]
}

data "aws_ami" "debian12" {
  count       = var.ami == "" ? 1 : 0
  most_recent = true
  owners      = ["136693071363"] # Debian
  filter {
    name   = "name"
    values = ["debian-12-amd64-*"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_hostnames = true
  tags                 = { Name = "migrlab-${var.name}" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
}

resource "aws_subnet" "this" {
  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.subnet_cidr
  availability_zone       = data.aws_availability_zones.available.names[0]
  map_public_ip_on_launch = true
  tags                    = { Name = "migrlab-${var.name}" }
}

resource "aws_route_table" "this" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.this.id
  }
}

resource "aws_route_table_association" "this" {
  subnet_id      = aws_subnet.this.id
  route_table_id = aws_route_table.this.id
}

resource "aws_security_group" "host" {
  name        = "migrlab-${var.name}"
  description = "migrlab testbed: SSH from the operator, migration traffic between hosts only"
  vpc_id      = aws_vpc.this.id

  ingress {
    description = "SSH from the operator"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.operator_cidr]
  }

  ingress {
    description = "migrlab agent / migration data between testbed hosts"
    from_port   = var.agent_port
    to_port     = var.agent_port
    protocol    = "tcp"
    self        = true
  }

  ingress {
    description = "ICMP between testbed hosts (reachability checks)"
    from_port   = -1
    to_port     = -1
    protocol    = "icmp"
    self        = true
  }

  egress {
    description = "Outbound (package installation)"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_key_pair" "this" {
  key_name   = "migrlab-${var.name}"
  public_key = file("${var.key_dir}/id_ed25519.pub")
}

resource "aws_instance" "host" {
  count                  = var.hosts
  ami                    = var.ami != "" ? var.ami : data.aws_ami.debian12[0].id
  instance_type          = var.instance_type
  subnet_id              = aws_subnet.this.id
  vpc_security_group_ids = [aws_security_group.host.id]
  key_name               = aws_key_pair.this.key_name
  private_ip             = cidrhost(local.subnet_cidr, 10 + count.index + 1)

  # The host key is generated on the operator's side and installed by
  # cloud-init, so the first SSH connection is already verified.
  user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
    hostname    = local.vm_names[count.index]
    host_key    = file("${var.key_dir}/${local.vm_names[count.index]}-host-key")
    host_pubkey = trimspace(file("${var.key_dir}/${local.vm_names[count.index]}-host-key.pub"))
  })
  user_data_replace_on_change = true

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    volume_size = var.root_volume_gib
    volume_type = "gp3"
  }

  tags = { Name = "migrlab-${var.name}-${local.vm_names[count.index]}" }
}

module "host" {
  source = "../modules/host"
  count  = var.hosts

  name               = local.vm_names[count.index]
  address            = aws_instance.host[count.index].public_ip
  port               = 22
  user               = var.ssh_user
  private_key_path   = "${var.key_dir}/id_ed25519"
  host_key           = file("${var.key_dir}/${local.vm_names[count.index]}-host-key.pub")
  private_addr       = aws_instance.host[count.index].private_ip
  private_prefix_len = tonumber(split("/", local.subnet_cidr)[1])
  install_packages   = true
  image_archives     = var.image_archives
  agent_binary       = var.agent_binary
  agent_args         = var.agent_args
  agent_tls_ca       = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/ca.crt"
  agent_tls_cert     = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/${local.vm_names[count.index]}.crt"
  agent_tls_key      = var.agent_tls_dir == "" ? "" : "${var.agent_tls_dir}/${local.vm_names[count.index]}.key"
  agent_port         = var.agent_port
  replace_trigger    = aws_instance.host[count.index].id
}
