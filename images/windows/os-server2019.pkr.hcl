# Windows Server 2019 (build 17763), Standard Evaluation with Desktop Experience:
# https://www.microsoft.com/evalcenter/download-windows-server-2019
locals {
  os_server2019 = {
    family                = "server"
    build                 = 17763
    image_name            = "Windows Server 2019 SERVERSTANDARD"
    iso_url               = "https://software-static.download.prss.microsoft.com/dbazure/988969d5-f34g-4e03-ac9d-1f9786c66749/17763.3650.221105-1748.rs5_release_svc_refresh_SERVER_EVAL_x64FRE_en-us.iso"
    iso_checksum          = "sha256:6dae072e7f78f4ccab74a45341de0d6e2d45c39be25f1f5920a2ab4f51d7bcbb"
    tpm                   = false
    vsphere_guest_os_type = "windows2019srv_64Guest"
    # Microsoft's KMS client setup keys (GVLK) for volume-licensed media, by
    # install.wim image (image_name), used with product_key = "gvlk":
    # https://learn.microsoft.com/windows-server/get-started/kms-client-activation-keys
    kms_client_keys = {
      "Windows Server 2019 SERVERSTANDARD"       = "N69G4-B89J2-4G8F4-WWYCC-J464C"
      "Windows Server 2019 SERVERSTANDARDCORE"   = "N69G4-B89J2-4G8F4-WWYCC-J464C"
      "Windows Server 2019 SERVERDATACENTER"     = "WMDGN-G9PQG-XVVXX-R3X43-63DFG"
      "Windows Server 2019 SERVERDATACENTERCORE" = "WMDGN-G9PQG-XVVXX-R3X43-63DFG"
    }
  }
}
