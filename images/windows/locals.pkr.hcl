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

  # The answer file of the OS's family (client or server), on a CD labelled
  # MSILAB with the script it runs at first logon. XML-escaped password.
  # (Packer resolves file() and templatefile() paths from the template's
  # folder, wherever packer runs.)
  admin_password_xml = replace(replace(replace(var.admin_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")
  answer_vars = {
    admin_user     = var.admin_user
    admin_password = local.admin_password_xml
    image_name     = local.image_name
  }
  answer_cd = {
    "autounattend.xml"       = templatefile("answer/${local.os.family}.autounattend.xml.pkrtpl", merge(local.answer_vars, { vmware_tools = false }))
    "enable-winrm-https.ps1" = file("scripts/enable-winrm-https.ps1")
  }
  # vsphere-iso finds the machine's address through VMware Tools: its CD
  # also installs them, first.
  answer_cd_vsphere = merge(local.answer_cd, {
    "autounattend.xml"         = templatefile("answer/${local.os.family}.autounattend.xml.pkrtpl", merge(local.answer_vars, { vmware_tools = true }))
    "install-vmware-tools.ps1" = file("scripts/install-vmware-tools.ps1")
  })

  # Windows Setup asks for a key press to boot from the DVD.
  boot_command = ["<spacebar><wait1s><spacebar><wait1s><spacebar><wait1s><spacebar>"]

  shutdown_command = "shutdown /s /t 10 /f /d p:4:1 /c \"msilab image built\""
}
