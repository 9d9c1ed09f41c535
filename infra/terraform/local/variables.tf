variable "name" {
  description = "Testbed name; part of the VM process names (migrlab-NAME-vmK)."
  type        = string
  default     = "local"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.name))
    error_message = "name must be lowercase letters, digits and '-', starting with a letter."
  }
}

variable "hosts" {
  description = "Number of VMs (a migration needs at least two)."
  type        = number
  default     = 2
  validation {
    condition     = var.hosts >= 2 && var.hosts <= 16 && floor(var.hosts) == var.hosts
    error_message = "hosts must be an integer in 2..16."
  }
}

variable "accel" {
  description = "QEMU accelerator: auto (kvm when a real KVM is present, tcg otherwise, e.g. on a PVM /dev/kvm), kvm or tcg."
  type        = string
  default     = "auto"
  validation {
    condition     = contains(["auto", "kvm", "tcg"], var.accel)
    error_message = "accel must be auto, kvm or tcg."
  }
}

variable "memory_mib" {
  description = "Memory of each VM in MiB."
  type        = number
  default     = 2560
  validation {
    condition     = var.memory_mib >= 1024
    error_message = "memory_mib must be at least 1024."
  }
}

variable "cpus" {
  description = "vCPUs of each VM."
  type        = number
  default     = 2
  validation {
    condition     = var.cpus >= 1 && var.cpus <= 64
    error_message = "cpus must be in 1..64."
  }
}

variable "ssh_port_base" {
  description = "VM K (1-based) forwards 127.0.0.1:(ssh_port_base+K) to its SSH port."
  type        = number
  default     = 2220
  validation {
    condition     = var.ssh_port_base >= 1024 && var.ssh_port_base <= 65000
    error_message = "ssh_port_base must be in 1024..65000."
  }
}

variable "private_cidr" {
  description = "Network of the private L2 link between all VMs; VM K gets host number K."
  type        = string
  default     = "10.10.0.0/24"
  validation {
    condition     = can(cidrhost(var.private_cidr, 1))
    error_message = "private_cidr must be an IPv4 CIDR such as 10.10.0.0/24."
  }
}

variable "work_dir" {
  description = "Directory for keys (keys/) and VM runtime files (run/: overlays, pidfiles, consoles). Empty: the root module directory. Keys must exist before apply: `scripts/vm.sh keys WORK_DIR/keys HOSTS SSH_PORT_BASE` (migrlab testbed up does it)."
  type        = string
  default     = ""
}

variable "image_cache_dir" {
  description = "Cache of built guest images, keyed by a hash of the recipe. Empty: $HOME/.cache/migrlab/images."
  type        = string
  default     = ""
}

variable "mirror" {
  description = "Debian mirror used to build the guest image."
  type        = string
  default     = "http://deb.debian.org/debian"
}

variable "boot_timeout" {
  description = "Seconds to wait for a VM to answer SSH after it is started."
  type        = number
  default     = 900
  validation {
    condition     = var.boot_timeout >= 30
    error_message = "boot_timeout must be at least 30 seconds."
  }
}

variable "image_archives" {
  description = "Local container image archives loaded with podman load on every VM (same archive => same image ID everywhere)."
  type        = list(string)
  default     = []
}

variable "agent_binary" {
  description = "Local migrlab binary installed as the agent on every VM. Empty: no agent."
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
