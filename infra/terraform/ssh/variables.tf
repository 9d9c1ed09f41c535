variable "servers" {
  description = "Existing Linux servers (Debian/Ubuntu for automatic package installation). private_addr must already be configured on each; user must be root or have password-less sudo."
  type = list(object({
    name             = string
    address          = string
    port             = optional(number, 22)
    user             = optional(string, "root")
    private_key_path = string
    host_key         = string
    private_addr     = string
  }))
  validation {
    condition     = length(var.servers) >= 2
    error_message = "servers must list at least two hosts (a migration needs a source and a target)."
  }
  validation {
    condition     = length(distinct([for s in var.servers : s.name])) == length(var.servers)
    error_message = "server names must be unique."
  }
  validation {
    condition     = alltrue([for s in var.servers : can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp[0-9]+) ", s.host_key))])
    error_message = "every host_key must be an OpenSSH public key line (see ssh-keyscan -t ed25519 HOST)."
  }
}

variable "install_packages" {
  description = "Install podman, runc, criu, conmon etc. with apt-get where missing."
  type        = bool
  default     = true
}

variable "private_prefix_len" {
  description = "Prefix length of the servers' private network (reported and used for checks only)."
  type        = number
  default     = 24
}

variable "image_archives" {
  description = "Local container image archives loaded with podman load on every server."
  type        = list(string)
  default     = []
}

variable "agent_binary" {
  description = "Local migrlab binary installed as the agent on every server. Empty: no agent."
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
  description = "Agent/migration TCP port (reported in outputs)."
  type        = number
  default     = 7070
}
