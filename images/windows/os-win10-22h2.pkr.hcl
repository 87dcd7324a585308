# Windows 10 22H2 (build 19045), Enterprise Evaluation:
# https://www.microsoft.com/evalcenter/download-windows-10-enterprise
locals {
  os_win10_22h2 = {
    family                = "client"
    build                 = 19045
    image_name            = "Windows 10 Enterprise Evaluation"
    iso_url               = "https://software-static.download.prss.microsoft.com/dbazure/988969d5-f34g-4e03-ac9d-1f9786c66750/19045.2006.220908-0225.22h2_release_svc_refresh_CLIENTENTERPRISEEVAL_OEMRET_x64FRE_en-us.iso"
    iso_checksum          = "sha256:ef7312733a9f5d7d51cfa04ac497671995674ca5e1058d5164d6028f0938d668"
    tpm                   = false
    vsphere_guest_os_type = "windows9_64Guest"
    # Microsoft's KMS client setup keys (GVLK) for volume-licensed media, by
    # install.wim image (image_name), used with product_key = "gvlk":
    # https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
    kms_client_keys = {
      "Windows 10 Pro"                    = "W269N-WFGWX-YVC9B-4J6C9-T83GX"
      "Windows 10 Pro N"                  = "MH37W-N47XK-V7XM9-C7227-GCQG9"
      "Windows 10 Pro for Workstations"   = "NRG8B-VKK3Q-CXVCJ-9G2XF-6Q84J"
      "Windows 10 Pro for Workstations N" = "9FNHH-K3HBT-3W4TD-6383H-6XYWF"
      "Windows 10 Pro Education"          = "6TP4R-GNPTD-KYYHQ-7B7DP-J447Y"
      "Windows 10 Pro Education N"        = "YVWGF-BXNMC-HTQYQ-CPQ99-66QFC"
      "Windows 10 Education"              = "NW6C2-QMPVW-D7KKK-3GKT6-VCFB2"
      "Windows 10 Education N"            = "2WH4N-8QGBV-H22JP-CT43Q-MDWWJ"
      "Windows 10 Enterprise"             = "NPPR9-FWDCX-D2C8J-H872K-2YT43"
      "Windows 10 Enterprise N"           = "DPH2V-TTNVB-4X9Q3-TJR4H-KHJW4"
    }
  }
}
