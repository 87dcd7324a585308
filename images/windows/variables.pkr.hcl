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

variable "product_key" {
  type        = string
  default     = ""
  description = "The product key the answer file gives Setup. Empty: none, for evaluation media (the default ISOs). \"gvlk\": Microsoft's KMS client setup key for image_name, for volume-licensed media (it activates against your KMS host). Or your own key (retail, MAK), XXXXX-XXXXX-XXXXX-XXXXX-XXXXX. Setup shows its key page only if the key is refused (WillShowUI OnError)."
  validation {
    condition     = var.product_key == "" || var.product_key == "gvlk" || can(regex("^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$", var.product_key))
    error_message = "The product_key must be empty (evaluation media), \"gvlk\" (volume-licensed media) or a key XXXXX-XXXXX-XXXXX-XXXXX-XXXXX."
  }
}

variable "tpm_bypass" {
  type        = bool
  default     = false
  description = "Windows 11 only: build without a vTPM, for hosts that cannot give one (no swtpm, no vSphere key provider), and have Setup skip its TPM and Secure Boot checks (HKLM\\SYSTEM\\Setup\\LabConfig BypassTPMCheck and BypassSecureBootCheck = 1, set by the answer file in Windows PE). The image then has no TPM: Windows features that need one (BitLocker with TPM, Windows Hello, Credential Guard) are unavailable, which msilab's scenarios do not use."
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

variable "qemu_cpu_model" {
  type        = string
  default     = ""
  description = "QEMU's -cpu. Empty: host with KVM (qemu_accelerator = kvm), else x86-64-v2-AES. Windows 11 24H2 and Server 2025 (build 26100) need SSE4.2 and POPCNT, which QEMU's default model qemu64 lacks: Setup then loops or hangs."
  validation {
    condition     = !contains(["qemu64", "qemu32", "kvm64", "kvm32", "pentium", "pentium2", "pentium3", "486", "coreduo", "core2duo", "athlon", "phenom", "n270"], var.qemu_cpu_model)
    error_message = "The qemu_cpu_model must have SSE4.2 and POPCNT (Windows build 26100 needs them): host, x86-64-v2-AES or a newer model, not qemu64, kvm64 or older."
  }
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
