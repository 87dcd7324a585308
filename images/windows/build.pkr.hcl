build {
  sources = [
    "source.hyperv-iso.windows",
    "source.qemu.windows",
    "source.vsphere-iso.windows",
  ]

  # A restart first, so that the manifest's build, UBR and msi.dll version
  # are read after the last one (automatic updates are off since the first
  # logon; the msilab provisioner refuses a host with a restart pending).
  provisioner "windows-restart" {
    restart_timeout = "30m"
  }

  # Turns the fresh install into a clean msilab lab host, or fails the
  # build naming the faults it found; then writes the image manifest on the
  # image and beside the output, with a lab.yaml host entry. It checks both
  # passwords against Windows' complexity rules before the build starts.
  provisioner "msilab" {
    os_profile        = var.os
    admin_user        = var.admin_user
    admin_password    = var.admin_password
    standard_user     = var.standard_user
    standard_password = var.standard_password
    template_name     = "images/windows"
    git_revision      = var.git_revision
    manifest_path     = "${var.output_root}/${var.os}-${source.type}.manifest.json"
    lab_host {
      name = "${var.os}-${source.type}"
      # The address Packer reached the machine at, unless given.
      endpoint = var.lab_endpoint != "" ? var.lab_endpoint : "https://${build.Host}:${build.Port}/wsman"
    }
  }
}
