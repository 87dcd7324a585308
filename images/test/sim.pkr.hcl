# A build of no machine (the null builder) that runs the msilab provisioner
# over WinRM against a running host: CI points it at a simulated Windows
# host (lab/sim) to run a real `packer build` with the plugin.
#
#   packer build -var winrm_host=127.0.0.1 -var winrm_port=5985 \
#     -var winrm_password=... -var standard_password=... images/test

packer {
  required_version = ">= 1.9.4"
  required_plugins {
    msilab = {
      source  = "github.com/msilab/msilab"
      version = "= 0.1.0"
    }
  }
}

variable "os" {
  type    = string
  default = "win11-24h2"
}

variable "winrm_host" {
  type    = string
  default = "127.0.0.1"
}

variable "winrm_port" {
  type    = number
  default = 5985
}

variable "winrm_use_ssl" {
  type    = bool
  default = false
}

variable "winrm_username" {
  type    = string
  default = "msilab"
}

variable "winrm_password" {
  type      = string
  sensitive = true
}

variable "standard_password" {
  type      = string
  sensitive = true
}

variable "git_revision" {
  type    = string
  default = ""
}

variable "output_root" {
  type    = string
  default = "msilab-out/images"
}

source "null" "sim" {
  communicator   = "winrm"
  winrm_host     = var.winrm_host
  winrm_port     = var.winrm_port
  winrm_username = var.winrm_username
  winrm_password = var.winrm_password
  winrm_use_ssl  = var.winrm_use_ssl
  winrm_insecure = true
  winrm_use_ntlm = true
  winrm_timeout  = "1m"
}

build {
  sources = ["source.null.sim"]

  provisioner "msilab" {
    os_profile        = var.os
    standard_password = var.standard_password
    template_name     = "images/test"
    git_revision      = var.git_revision
    manifest_path     = "${var.output_root}/${var.os}-${source.type}.manifest.json"
    lab_host {
      endpoint = "${var.winrm_use_ssl ? "https" : "http"}://${build.Host}:${build.Port}/wsman"
    }
  }
}
