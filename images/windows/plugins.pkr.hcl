# The plugins this template builds with, pinned. `packer init images/windows`
# installs the hypervisor plugins; the msilab plugin is installed from its
# binary (images/README.md, "Installing the msilab plugin").
packer {
  required_version = ">= 1.9.4"
  required_plugins {
    hyperv = {
      source  = "github.com/hashicorp/hyperv"
      version = "= 1.1.5"
    }
    qemu = {
      source  = "github.com/hashicorp/qemu"
      version = "= 1.0.9"
    }
    vsphere = {
      source  = "github.com/hashicorp/vsphere"
      version = "= 1.4.2"
    }
    msilab = {
      source  = "github.com/msilab/msilab"
      version = "= 0.1.0"
    }
  }
}
