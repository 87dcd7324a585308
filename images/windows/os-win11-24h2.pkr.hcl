# Windows 11 24H2 (build 26100), Enterprise Evaluation:
# https://www.microsoft.com/evalcenter/download-windows-11-enterprise
# Setup requires UEFI, Secure Boot and TPM 2.0: every builder gives it a vTPM.
locals {
  os_win11_24h2 = {
    family                = "client"
    build                 = 26100
    image_name            = "Windows 11 Enterprise Evaluation"
    iso_url               = "https://software-static.download.prss.microsoft.com/dbazure/888969d5-f34g-4e03-ac9d-1f9786c66749/26100.1742.240906-0331.ge_release_svc_refresh_CLIENTENTERPRISEEVAL_OEMRET_x64FRE_en-us.iso"
    iso_checksum          = "sha256:755a90d43e826a74b9e1932a34788b898e028272439b777e5593dee8d53622ae"
    tpm                   = true
    vsphere_guest_os_type = "windows11_64Guest"
  }
}
