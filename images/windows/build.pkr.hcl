build {
  sources = [
    "source.hyperv-iso.windows",
    "source.qemu.windows",
    "source.vsphere-iso.windows",
  ]

  # Turns the fresh install into a clean msilab lab host, or fails the
  # build naming the faults it found; then writes the image manifest on the
  # image and beside the output, with a lab.yaml host entry.
  provisioner "msilab" {
    os_profile        = var.os
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
