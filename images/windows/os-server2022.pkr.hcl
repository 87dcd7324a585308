# Windows Server 2022 (build 20348), Standard Evaluation with Desktop Experience:
# https://www.microsoft.com/evalcenter/download-windows-server-2022
locals {
  os_server2022 = {
    family                = "server"
    build                 = 20348
    image_name            = "Windows Server 2022 SERVERSTANDARD"
    iso_url               = "https://software-static.download.prss.microsoft.com/sg/download/888969d5-f34g-4e03-ac9d-1f9786c66749/SERVER_EVAL_x64FRE_en-us.iso"
    iso_checksum          = "sha256:3e4fa6d8507b554856fc9ca6079cc402df11a8b79344871669f0251535255325"
    tpm                   = false
    vsphere_guest_os_type = "windows2019srvNext_64Guest"
    # Microsoft's KMS client setup keys (GVLK) for volume-licensed media, by
    # install.wim image (image_name), used with product_key = "gvlk":
    # https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
    kms_client_keys = {
      "Windows Server 2022 SERVERSTANDARD"       = "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
      "Windows Server 2022 SERVERSTANDARDCORE"   = "VDYBN-27WPP-V4HQT-9VMD4-VMK7H"
      "Windows Server 2022 SERVERDATACENTER"     = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"
      "Windows Server 2022 SERVERDATACENTERCORE" = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33"
    }
  }
}
