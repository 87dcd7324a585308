# Windows Server 2025 (build 26100), Standard Evaluation with Desktop Experience:
# https://www.microsoft.com/evalcenter/download-windows-server-2025
locals {
  os_server2025 = {
    family                = "server"
    build                 = 26100
    image_name            = "Windows Server 2025 SERVERSTANDARD"
    iso_url               = "https://software-static.download.prss.microsoft.com/dbazure/888969d5-f34g-4e03-ac9d-1f9786c66749/26100.1742.240906-0331.ge_release_svc_refresh_SERVER_EVAL_x64FRE_en-us.iso"
    iso_checksum          = "sha256:d0ef4502e350e3c6c53c15b1b3020d38a5ded011bf04998e950720ac8579b23d"
    tpm                   = false
    vsphere_guest_os_type = "windows2022srvNext_64Guest"
  }
}
