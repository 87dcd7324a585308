# What to build.

variable "os" {
  type        = string
  description = "The msilab OS profile to build: win10-22h2, win11-24h2, server2019, server2022 or server2025 (one os-<name>.pkr.hcl file each)."
  validation {
    condition     = contains(["win10-22h2", "win11-24h2", "server2019", "server2022", "server2025"], var.os)
    error_message = "The os variable must be one of win10-22h2, win11-24h2, server2019, server2022, server2025."
  }
}

variable "iso_url" {
  type        = string
  default     = ""
  description = "The Windows ISO: a URL or a local path. Empty: the OS's evaluation media from Microsoft (its os-<name>.pkr.hcl)."
}

variable "iso_checksum" {
  type        = string
  default     = ""
  description = "The ISO's checksum (type:value, e.g. sha256:...). Empty: the evaluation media's own checksum; required with iso_url."
  validation {
    condition     = var.iso_checksum == "" || can(regex("^(md5|sha1|sha256|sha512|file):.+$", var.iso_checksum))
    error_message = "The iso_checksum must be type:value, e.g. sha256:0123...; \"none\" is not accepted for lab images."
  }
}

variable "image_name" {
  type        = string
  default     = ""
  description = "The install.wim image to install (/IMAGE/NAME). Empty: the evaluation media's edition (its os-<name>.pkr.hcl)."
}

variable "cpus" {
  type    = number
  default = 2
}

variable "memory" {
  type        = number
  default     = 4096
  description = "Memory in MB (Windows 11 setup requires 4096 or more)."
}

variable "disk_size" {
  type        = number
  default     = 65536
  description = "Disk size in MB (Windows 11 setup requires 64 GB)."
}

variable "headless" {
  type    = bool
  default = true
}

variable "output_root" {
  type        = string
  default     = "msilab-out/images"
  description = "Each build writes <output_root>/<os>-<builder>/, and beside it <os>-<builder>.manifest.json and .manifest.lab.yaml (msilab-out/ is git-ignored)."
}

# Credentials. Passwords are never stored in lab.yaml: it names environment
# variables instead.

variable "admin_user" {
  type        = string
  default     = "msilab"
  description = "The administrator account the answer file creates; Packer and msilab connect as it over WinRM."
  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$", var.admin_user))
    error_message = "The admin_user must be 1 to 20 letters, digits, '.', '_' or '-'."
  }
}

variable "admin_password" {
  type        = string
  sensitive   = true
  description = "The administrator's password (on Server, the built-in Administrator's too)."
  validation {
    condition     = length(var.admin_password) >= 8 && !can(regex("[\"'`]", var.admin_password))
    error_message = "The admin_password must be 8 characters or more, without quotes or backquotes."
  }
}

variable "standard_user" {
  type        = string
  default     = "msilab-user"
  description = "The lab's standard (non-admin) account, created by the msilab provisioner."
}

variable "standard_password" {
  type        = string
  sensitive   = true
  description = "The standard account's password."
}

# Records.

variable "git_revision" {
  type        = string
  default     = ""
  description = "The commit this template was built from, recorded in the image manifest: -var git_revision=$(git rev-parse HEAD)."
}

variable "lab_endpoint" {
  type        = string
  default     = ""
  description = "The WinRM endpoint for the lab.yaml entry (https://<host>:5986/wsman). Empty: the address Packer reached the build machine at."
}

# Hyper-V.

variable "hyperv_switch_name" {
  type    = string
  default = "Default Switch"
}

# QEMU/KVM. Secure Boot firmware with Microsoft's keys enrolled (Debian and
# Ubuntu package ovmf); the vTPM needs swtpm; the answer CD needs xorriso.

variable "qemu_accelerator" {
  type    = string
  default = "kvm"
}

variable "qemu_efi_firmware_code" {
  type    = string
  default = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
}

variable "qemu_efi_firmware_vars" {
  type    = string
  default = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
}

# vSphere. The vTPM of Windows 11 needs a key provider on the vCenter.

variable "vsphere_server" {
  type    = string
  default = ""
}

variable "vsphere_user" {
  type    = string
  default = ""
}

variable "vsphere_password" {
  type      = string
  default   = ""
  sensitive = true
}

variable "vsphere_insecure" {
  type        = bool
  default     = false
  description = "Skip the vCenter certificate check."
}

variable "vsphere_datacenter" {
  type    = string
  default = ""
}

variable "vsphere_cluster" {
  type    = string
  default = ""
}

variable "vsphere_datastore" {
  type    = string
  default = ""
}

variable "vsphere_network" {
  type    = string
  default = "VM Network"
}

variable "vsphere_folder" {
  type    = string
  default = ""
}

variable "vsphere_tools_iso" {
  type        = string
  default     = "[] /vmimages/tools-isoimages/windows.iso"
  description = "VMware Tools for Windows on the ESXi host: vsphere-iso finds the machine's address through them."
}
