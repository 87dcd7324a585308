# One source per hypervisor; each boots the Windows ISO with the answer CD
# (labelled MSILAB), waits for WinRM over HTTPS (NTLM, self-signed
# certificate), and shuts the machine down once the build is provisioned.
#
#   packer build -var os=win11-24h2 -only=qemu.windows images/windows
#
# No builder generalizes the image (sysprep), and clones must not be
# generalized either (no vSphere guest customization specification: it runs
# sysprep): lab hosts are standalone machines reverted to a snapshot, and
# the manifest records the machine SID and the SIDs its baseline names.

source "hyperv-iso" "windows" {
  vm_name          = "msilab-${var.os}"
  output_directory = "${var.output_root}/${var.os}-hyperv-iso"
  iso_url          = local.iso_url
  iso_checksum     = local.iso_checksum
  cd_content       = local.answer_cd
  cd_label         = "MSILAB"

  generation           = 2
  enable_secure_boot   = true
  secure_boot_template = "MicrosoftWindows"
  # The vTPM's key protector is the host's guardian: the VM's TPM moves
  # with the VM only together with it (images/README.md).
  enable_tpm        = local.tpm
  first_boot_device = "DVD"
  boot_wait         = local.boot_wait
  boot_command      = local.boot_command

  cpus        = var.cpus
  memory      = var.memory
  disk_size   = var.disk_size
  switch_name = var.hyperv_switch_name
  headless    = var.headless

  communicator   = "winrm"
  winrm_username = var.admin_user
  winrm_password = var.admin_password
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_use_ntlm = true
  winrm_timeout  = "2h"

  shutdown_command = local.shutdown_command
  shutdown_timeout = "30m"
}

source "qemu" "windows" {
  vm_name          = "msilab-${var.os}.qcow2"
  output_directory = local.qemu_output_directory
  iso_url          = local.iso_url
  iso_checksum     = local.iso_checksum
  cd_content       = local.answer_cd
  cd_label         = "MSILAB"

  accelerator = var.qemu_accelerator
  # Windows build 26100 needs SSE4.2 and POPCNT: not QEMU's default qemu64.
  cpu_model         = local.qemu_cpu_model
  machine_type      = "q35,smm=on"
  efi_boot          = true
  efi_firmware_code = var.qemu_efi_firmware_code
  efi_firmware_vars = var.qemu_efi_firmware_vars
  # Secure Boot firmware keeps its variables in SMM-protected flash. The
  # vTPM is swtpm run by scripts/qemu-swtpm.sh with its state kept in the
  # output directory (the plugin's own vtpm option deletes it at the end).
  qemuargs = concat([["-global", "driver=cfi.pflash01,property=secure,value=on"]],
  local.tpm ? [["-msilab-swtpm-state", local.qemu_vtpm_state]] : [])
  qemu_binary = local.tpm ? "${path.root}/scripts/qemu-swtpm.sh" : "qemu-system-x86_64"
  vtpm        = false
  # Devices Windows Setup has in-box drivers for (no virtio drivers needed).
  disk_interface = "ide"
  net_device     = "e1000e"
  format         = "qcow2"
  boot_wait      = local.boot_wait
  boot_command   = local.boot_command

  cpus      = var.cpus
  memory    = var.memory
  disk_size = "${var.disk_size}M"
  headless  = var.headless

  communicator   = "winrm"
  winrm_username = var.admin_user
  winrm_password = var.admin_password
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_use_ntlm = true
  winrm_timeout  = "2h"

  shutdown_command = local.shutdown_command
  shutdown_timeout = "30m"
}

source "vsphere-iso" "windows" {
  vcenter_server      = var.vsphere_server
  username            = var.vsphere_user
  password            = var.vsphere_password
  insecure_connection = var.vsphere_insecure
  datacenter          = var.vsphere_datacenter
  cluster             = var.vsphere_cluster
  datastore           = var.vsphere_datastore
  folder              = var.vsphere_folder

  vm_name       = "msilab-${var.os}"
  guest_os_type = local.os.vsphere_guest_os_type
  iso_url       = local.iso_url
  iso_checksum  = local.iso_checksum
  iso_paths     = [var.vsphere_tools_iso]
  cd_content    = local.answer_cd_vsphere
  cd_label      = "MSILAB"
  remove_cdrom  = true
  # The answer CD holds the administrator's password: delete it from the
  # datastore's packer_cache once the build is done.
  remote_cache_cleanup = true

  firmware = "efi-secure"
  # The vTPM needs a key provider on the vCenter; its keys stay there.
  vTPM         = local.tpm
  boot_wait    = local.boot_wait
  boot_command = local.boot_command
  # The address comes from VMware Tools, installed at the first logon,
  # after Windows Setup (about 20 to 40 minutes).
  ip_wait_timeout = "90m"

  CPUs = var.cpus
  RAM  = var.memory
  # Controllers and NIC with in-box Windows drivers.
  disk_controller_type = ["lsilogic-sas"]
  storage {
    disk_size             = var.disk_size
    disk_thin_provisioned = true
  }
  network_adapters {
    network      = var.vsphere_network
    network_card = "e1000e"
  }

  communicator   = "winrm"
  winrm_username = var.admin_user
  winrm_password = var.admin_password
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_use_ntlm = true
  winrm_timeout  = "2h"

  shutdown_command    = local.shutdown_command
  shutdown_timeout    = "30m"
  convert_to_template = true
}
