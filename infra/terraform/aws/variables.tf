variable "name" {
  description = "Testbed name, used in resource names and tags."
  type        = string
  default     = "aws"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lowercase letters, digits and '-', starting with a letter."
  }
}

variable "hosts" {
  description = "Number of instances (at least two)."
  type        = number
  default     = 2
  validation {
    condition     = var.hosts >= 2 && var.hosts <= 16 && floor(var.hosts) == var.hosts
    error_message = "hosts must be an integer in 2..16."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-central-1"
}

variable "instance_type" {
  description = "EC2 instance type of every host."
  type        = string
  default     = "m6i.large"
}

variable "ami" {
  description = "AMI ID. Empty: the newest official Debian 12 amd64 image."
  type        = string
  default     = ""
}

variable "operator_cidr" {
  description = "CIDR allowed to reach SSH (your address, e.g. 203.0.113.7/32). Nothing else is reachable from outside."
  type        = string
  validation {
    condition     = can(cidrhost(var.operator_cidr, 0)) && var.operator_cidr != "0.0.0.0/0"
    error_message = "operator_cidr must be a CIDR and not 0.0.0.0/0."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the testbed VPC; the hosts' private addresses come from its first /24."
  type        = string
  default     = "10.42.0.0/16"
  validation {
    condition     = can(cidrsubnet(var.vpc_cidr, 8, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR of /16 .. /20."
  }
}

variable "ssh_user" {
  description = "Login user of the AMI (admin for Debian). It must have password-less sudo."
  type        = string
  default     = "admin"
}

variable "key_dir" {
  description = "Directory with id_ed25519(.pub) (login key) and vmK-host-key(.pub) for K = 1..hosts (host keys installed through cloud-init so that SSH is verified from the first connection). migrlab testbed up creates them."
  type        = string
}

variable "root_volume_gib" {
  description = "Root volume size in GiB."
  type        = number
  default     = 30
}

variable "image_archives" {
  description = "Local container image archives loaded with podman load on every host."
  type        = list(string)
  default     = []
}

variable "agent_binary" {
  description = "Local migrlab binary installed as the agent on every host. Empty: no agent."
  type        = string
  default     = ""
}

variable "agent_tls_dir" {
  description = "Local directory with the agents' mutual-TLS files: ca.crt and, per host, NAME.crt and NAME.key (made by migrlab testbed up). Empty: none."
  type        = string
  default     = ""
}

variable "agent_args" {
  description = "Arguments of `migrlab agent` in migrlab-agent.service."
  type        = list(string)
  default     = []
}

variable "agent_port" {
  description = "Agent/migration TCP port, open only between the testbed's hosts."
  type        = number
  default     = 7070
  validation {
    condition     = var.agent_port >= 1 && var.agent_port <= 65535
    error_message = "agent_port must be in 1..65535."
  }
}
