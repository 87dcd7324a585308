# Windows 11 24H2 (build 26100), Enterprise Evaluation:
# https://www.microsoft.com/evalcenter/download-windows-11-enterprise
# Setup requires UEFI, Secure Boot and TPM 2.0: every builder gives it a vTPM
# (or, with tpm_bypass = true, Setup's LabConfig keys skip the checks).
locals {
  os_win11_24h2 = {
    family                = "client"
    build                 = 26100
    image_name            = "Windows 11 Enterprise Evaluation"
    iso_url               = "https://software-static.download.prss.microsoft.com/dbazure/888969d5-f34g-4e03-ac9d-1f9786c66749/26100.1742.240906-0331.ge_release_svc_refresh_CLIENTENTERPRISEEVAL_OEMRET_x64FRE_en-us.iso"
    iso_checksum          = "sha256:755a90d43e826a74b9e1932a34788b898e028272439b777e5593dee8d53622ae"
    tpm                   = true
    vsphere_guest_os_type = "windows11_64Guest"
    # Microsoft's KMS client setup keys (GVLK) for volume-licensed media, by
    # install.wim image (image_name), used with product_key = "gvlk":
    # https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
    kms_client_keys = {
      "Windows 11 Pro"                    = "W269N-WFGWX-YVC9B-4J6C9-T83GX"
      "Windows 11 Pro N"                  = "MH37W-N47XK-V7XM9-C7227-GCQG9"
      "Windows 11 Pro for Workstations"   = "NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J"
      "Windows 11 Pro for Workstations N" = "9FNHH-K3HBT-3W4TD-6383H-6XYWF"
      "Windows 11 Pro Education"          = "6TP4R-GNPTD-KYYHQ-7B7DP-J447Y"
      "Windows 11 Pro Education N"        = "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC"
      "Windows 11 Education"              = "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2"
      "Windows 11 Education N"            = "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ"
      "Windows 11 Enterprise"             = "NPPR9-FWDCX-D2C8J-H872K-2YT43"
      "Windows 11 Enterprise N"           = "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4"
    }
  }
}
