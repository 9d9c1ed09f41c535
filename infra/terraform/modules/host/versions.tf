terraform {
  # Only the built-in terraform_data resource and the file/remote-exec
  # provisioners are used, so this module needs no provider download.
  required_version = ">= 1.4"
}
