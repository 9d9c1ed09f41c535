terraform {
  # Only built-in terraform_data + provisioners (via the host module): works offline.
  required_version = ">= 1.4"
}
