terraform {
  # Only built-in terraform_data + local-exec/remote-exec/file provisioners:
  # nothing to download, works offline.
  required_version = ">= 1.4"
}
