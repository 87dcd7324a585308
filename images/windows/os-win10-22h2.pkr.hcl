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
  }
}
