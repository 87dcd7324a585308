locals {
  # The OS's facts, from its os-<name>.pkr.hcl.
  oses = {
    "win10-22h2" = local.os_win10_22h2
    "win11-24h2" = local.os_win11_24h2
    "server2019" = local.os_server2019
    "server2022" = local.os_server2022
    "server2025" = local.os_server2025
  }
  os = local.oses[var.os]

  iso_url      = var.iso_url != "" ? var.iso_url : local.os.iso_url
  iso_checksum = var.iso_checksum != "" ? var.iso_checksum : (var.iso_url != "" ? "" : local.os.iso_checksum)
  image_name   = var.image_name != "" ? var.image_name : local.os.image_name

  # Windows 11 gets a vTPM, unless tpm_bypass: then none, and Setup's
  # LabConfig keys skip its TPM and Secure Boot checks.
  tpm              = local.os.tpm && !var.tpm_bypass
  labconfig_bypass = local.os.tpm && var.tpm_bypass

  # The product key the answer file gives Setup: none for evaluation media;
  # "gvlk" is the KMS client setup key of image_name (an image without one
  # fails here, on this line: set image_name to a volume-licensed edition
  # the OS's kms_client_keys lists, or give the key itself).
  product_key = var.product_key == "gvlk" ? local.os.kms_client_keys[local.image_name] : var.product_key

  # QEMU's CPU model: Windows build 26100 needs SSE4.2 and POPCNT, which
  # QEMU's default (qemu64) lacks. host passes the host CPU through (KVM
  # only); x86-64-v2-AES is the baseline with both, emulated without KVM.
  qemu_cpu_model = var.qemu_cpu_model != "" ? var.qemu_cpu_model : (var.qemu_accelerator == "kvm" ? "host" : "x86-64-v2-AES")
  # The vTPM's swtpm state, kept in the build's output directory (the qemu
  # plugin's own vtpm option deletes it at the end of the build): boot the
  # image with it (images/README.md).
  qemu_output_directory = "${var.output_root}/${var.os}-qemu"
  qemu_vtpm_state       = abspath("${local.qemu_output_directory}/vtpm")

  # The answer file of the OS's family (client or server), on a CD labelled
  # MSILAB with the scripts its first logon runs, in this order: turn
  # automatic logon off, turn automatic updates off, then enable WinRM
  # (Packer connects only then). XML-escaped password. (Packer resolves
  # file() and templatefile() paths from the template's folder, wherever
  # packer runs.)
  admin_password_xml = replace(replace(replace(var.admin_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")
  first_logon = [
    { script = "disable-autologon.ps1", args = "", description = "Turn automatic logon off and remove the stored password" },
    { script = "disable-windows-update.ps1", args = "", description = "Turn automatic updates off" },
    { script = "enable-winrm-https.ps1", args = " -AdminUser '${var.admin_user}'", description = "Enable WinRM over HTTPS with a self-signed certificate" },
  ]
  answer_vars = {
    admin_user       = var.admin_user
    admin_password   = local.admin_password_xml
    image_name       = local.image_name
    product_key      = local.product_key
    labconfig_bypass = local.labconfig_bypass
  }
  answer_scripts = { for c in local.first_logon : c.script => file("scripts/${c.script}") }
  answer_cd = merge(local.answer_scripts, {
    "autounattend.xml" = templatefile("answer/${local.os.family}.autounattend.xml.pkrtpl", merge(local.answer_vars, { first_logon = local.first_logon }))
  })
  # vsphere-iso finds the machine's address through VMware Tools: its CD
  # also installs them, first.
  first_logon_vsphere = concat([
    { script = "install-vmware-tools.ps1", args = "", description = "Install VMware Tools (vsphere-iso finds the machine's address through them)" },
  ], local.first_logon)
  answer_cd_vsphere = merge(local.answer_scripts, {
    "autounattend.xml"         = templatefile("answer/${local.os.family}.autounattend.xml.pkrtpl", merge(local.answer_vars, { first_logon = local.first_logon_vsphere }))
    "install-vmware-tools.ps1" = file("scripts/install-vmware-tools.ps1")
  })

  # Windows Setup's "Press any key to boot from CD or DVD" shows for about
  # five seconds, once the firmware has found the DVD: two seconds after
  # power-on on a fast host, much later with Secure Boot firmware (OVMF) or
  # a busy host. Missed, the VM falls through to the network boot and
  # Packer waits out its timeout. So press the space bar every second for
  # 60 seconds from a short boot_wait; once Windows PE loads, key presses do
  # nothing (the answer file skips every page).
  boot_wait    = "1s"
  boot_command = [join("", [for i in range(60) : "<spacebar><wait1s>"])]

  shutdown_command = "shutdown /s /t 10 /f /d p:4:1 /c \"msilab image built\""
}
