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
    # Microsoft's KMS client setup keys (GVLK) for volume-licensed media, by
    # install.wim image (image_name), used with product_key = "gvlk":
    # https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
    kms_client_keys = {
      "Windows Server 2025 SERVERSTANDARD"       = "TVRH6-WHNXV-R9WG3-9XRFY-MY832"
      "Windows Server 2025 SERVERSTANDARDCORE"   = "TVRH6-WHNXV-R9WG3-9XRFY-MY832"
      "Windows Server 2025 SERVERDATACENTER"     = "D764K-2NDRG-47T6Q-P8T8W-YP6DF"
      "Windows Server 2025 SERVERDATACENTERCORE" = "D764K-2NDRG-47T6Q-P8T8W-YP6DF"
    }
  }
}
