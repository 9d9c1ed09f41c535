variable "name" {
  description = "Short host name used in messages and outputs (e.g. vm1)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be a short DNS label: lowercase letters, digits and '-', starting with a letter."
  }
}

variable "address" {
  description = "Address (IP or DNS name) that SSH connects to."
  type        = string
  validation {
    condition     = length(var.address) > 0
    error_message = "address must not be empty."
  }
}

variable "port" {
  description = "SSH port."
  type        = number
  default     = 22
  validation {
    condition     = var.port >= 1 && var.port <= 65535
    error_message = "port must be in 1..65535."
  }
}

variable "user" {
  description = "SSH user. Must be root or have password-less sudo."
  type        = string
  default     = "root"
}

variable "private_key_path" {
  description = "Path of the SSH private key (OpenSSH format) used to log in."
  type        = string
}

variable "host_key" {
  description = "The host's SSH public host key (\"ssh-ed25519 AAAA...\"); the connection is verified against it from the first contact."
  type        = string
  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) [A-Za-z0-9+/=]+", var.host_key))
    error_message = "host_key must be an OpenSSH public key line such as \"ssh-ed25519 AAAA...\"."
  }
}

variable "private_addr" {
  description = "Address of this host on the private migration link (e.g. 10.10.0.1)."
  type        = string
  validation {
    condition     = can(cidrhost("${var.private_addr}/32", 0))
    error_message = "private_addr must be an IPv4 address without prefix length."
  }
}

variable "private_prefix_len" {
  description = "Prefix length of the private link network."
  type        = number
  default     = 24
  validation {
    condition     = var.private_prefix_len >= 8 && var.private_prefix_len <= 30
    error_message = "private_prefix_len must be in 8..30."
  }
}

variable "private_mac" {
  description = "MAC address of the interface to configure with private_addr. Empty: the address must already be present on the host (checked)."
  type        = string
  default     = ""
  validation {
    condition     = var.private_mac == "" || can(regex("^([0-9a-f]{2}:){5}[0-9a-f]{2}$", var.private_mac))
    error_message = "private_mac must be empty or a lowercase MAC address like 52:54:00:10:10:01."
  }
}

variable "install_packages" {
  description = "Install podman, runc, criu, conmon etc. with apt-get when any of them is missing (skipped when all are present)."
  type        = bool
  default     = true
}

variable "thp" {
  description = "Transparent huge pages mode to set. madvise keeps soft-dirty tracking at 4 KiB granularity for ordinary memory."
  type        = string
  default     = "madvise"
  validation {
    condition     = contains(["always", "madvise", "never"], var.thp)
    error_message = "thp must be one of always, madvise, never."
  }
}

variable "image_archives" {
  description = "Local paths of container image archives (docker-archive or oci-archive, as written by podman save) to copy and `podman load` on the host. Loading the same archive everywhere gives the same image ID, which restore needs."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for p in var.image_archives : can(filesha256(p))])
    error_message = "every entry of image_archives must be an existing local file."
  }
}

variable "agent_binary" {
  description = "Local path of a migrlab binary to install as /usr/local/bin/migrlab and run as migrlab-agent.service. Empty: no agent."
  type        = string
  default     = ""
  validation {
    condition     = var.agent_binary == "" || can(filesha256(var.agent_binary))
    error_message = "agent_binary must be empty or an existing local file."
  }
}

variable "agent_args" {
  description = "Arguments appended to `/usr/local/bin/migrlab agent` in migrlab-agent.service (no shell quoting is applied)."
  type        = list(string)
  default     = []
}

variable "agent_tls_ca" {
  description = "Local path of the testbed CA certificate (PEM) the agent verifies its callers with. Empty: no TLS files are installed."
  type        = string
  default     = ""
  validation {
    condition     = var.agent_tls_ca == "" || can(filesha256(var.agent_tls_ca))
    error_message = "agent_tls_ca must be empty or an existing local file."
  }
}

variable "agent_tls_cert" {
  description = "Local path of this host's agent certificate (PEM, issued by agent_tls_ca). Set: installed with the CA and key in /etc/migrlab/tls and the agent runs with --tls-dir /etc/migrlab/tls."
  type        = string
  default     = ""
  validation {
    condition     = var.agent_tls_cert == "" || can(filesha256(var.agent_tls_cert))
    error_message = "agent_tls_cert must be empty or an existing local file."
  }
}

variable "agent_tls_key" {
  description = "Local path of the private key of agent_tls_cert (installed 0600, root)."
  type        = string
  default     = ""
  validation {
    condition     = var.agent_tls_key == "" || can(filesha256(var.agent_tls_key))
    error_message = "agent_tls_key must be empty or an existing local file."
  }
}

variable "agent_port" {
  description = "TCP port the agent listens on (reported in outputs; pass it in agent_args too)."
  type        = number
  default     = 7070
  validation {
    condition     = var.agent_port >= 1 && var.agent_port <= 65535
    error_message = "agent_port must be in 1..65535."
  }
}

variable "replace_trigger" {
  description = "Any value; when it changes the whole configuration is applied again (e.g. the ID of the VM that was recreated)."
  type        = string
  default     = ""
}

variable "connect_timeout" {
  description = "How long Terraform keeps retrying the SSH connection (a Terraform duration like 15m)."
  type        = string
  default     = "15m"
}
